"""Who the demo families are: countries, names, email addresses, kids and diets."""

import random
import unicodedata
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Country:
    code: str
    locale: str
    weight: float
    utc_offsets: tuple[int, ...]
    vat_percent: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    domains: tuple[str, ...]
    kid_names: tuple[str, ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


_GLOBAL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "outlook.com", "icloud.com", "yahoo.com")

COUNTRIES = (
    Country("US", "en-US", 40, (-5, -5, -6, -7, -8), 0,
            _split("Jessica,Ashley,Sarah,Megan,Lauren,Emily,Rachel,Brittany,Amanda,Nicole,Michael,"
                   "Chris,Matt,David,Josh,Ryan,Tyler,Kevin,Brandon,Marcus,Keisha,Tamika,Rosa,Carmen"),
            _split("Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,"
                   "Wilson,Anderson,Taylor,Thomas,Moore,Jackson,White,Harris,Clark,Lewis,Nguyen,"
                   "Patel,Kim,Robinson"),
            (*_GLOBAL_DOMAINS, "yahoo.com", "hotmail.com", "aol.com", "comcast.net"),
            _split("Olivia,Emma,Ava,Sophia,Mia,Liam,Noah,Oliver,Elijah,Lucas,Mason,Harper,Evelyn,"
                   "Aiden,Jayden,Zoe,Chloe,Caleb,Isaiah,Aria")),
    Country("CA", "en-CA", 6, (-5, -5, -8), 0,
            _split("Chantal,Genevieve,Amelie,Sarah,Jennifer,Kyle,Connor,Mathieu,Etienne,Priya,Harjit,Liam"),
            _split("Tremblay,Gagnon,Roy,Cote,Bouchard,MacDonald,Campbell,Singh,Wong,Leblanc,Martin,Fraser"),
            (*_GLOBAL_DOMAINS, "videotron.ca", "shaw.ca", "rogers.com"),
            _split("Charlotte,Olivia,Amelia,Liam,Noah,William,Leo,Felix,Chloe,Benjamin,Florence,Jacob")),
    Country("GB", "en-GB", 10, (0,), 20,
            _split("Charlotte,Sophie,Hannah,Katie,Lucy,Emma,Rebecca,Gemma,James,Oliver,Tom,Harry,"
                   "Daniel,Jack,Sam,Aisha,Fatima,Imran,Siobhan,Niamh"),
            _split("Smith,Jones,Taylor,Brown,Williams,Wilson,Evans,Thomas,Roberts,Walker,Wright,"
                   "Hughes,Edwards,Khan,Ali,Hussain,O'Brien,Murphy,Davies,Morgan"),
            (*_GLOBAL_DOMAINS, "btinternet.com", "hotmail.co.uk", "yahoo.co.uk", "sky.com"),
            _split("Oliver,George,Arthur,Noah,Muhammad,Leo,Olivia,Amelia,Isla,Ava,Lily,Freya,Alfie,"
                   "Poppy,Archie,Evie,Theo,Florence,Rosie,Harry")),
    Country("IE", "en-IE", 1.5, (0,), 23,
            _split("Aoife,Siobhan,Ciara,Niamh,Sinead,Sean,Conor,Padraig,Eoin,Ciaran"),
            _split("Murphy,Kelly,O'Sullivan,Walsh,Byrne,Ryan,O'Connor,McCarthy,Doyle,Gallagher"),
            (*_GLOBAL_DOMAINS, "eircom.net"),
            _split("Fiadh,Grace,Saoirse,Oisin,Cillian,Tadhg,Darragh,Aoibhinn,Caoimhe,Rian")),
    Country("DE", "de-DE", 7, (1,), 19,
            _split("Anna,Julia,Katharina,Lena,Sarah,Laura,Jana,Jonas,Lukas,Felix,Maximilian,Jan,"
                   "Tobias,Sebastian,Jürgen,Sabine,Müge,Ayşe,Dennis,Nadine"),
            _split("Müller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schulz,Hoffmann,"
                   "Koch,Richter,Wolf,Schröder,Yilmaz,Neumann,Zimmermann,Braun"),
            (*_GLOBAL_DOMAINS, "gmx.de", "web.de", "t-online.de", "posteo.de"),
            _split("Emilia,Mia,Hannah,Sofia,Lina,Noah,Ben,Matteo,Finn,Leon,Paul,Ida,Emil,Mats,"
                   "Clara,Theo,Ella,Jonas,Luisa,Anton")),
    Country("FR", "fr-FR", 5, (1,), 20,
            _split("Camille,Manon,Chloé,Léa,Julie,Céline,Aurélie,Thomas,Nicolas,Julien,Maxime,"
                   "Antoine,Hélène,Sébastien,Yasmine,Karim"),
            _split("Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Leroy,Moreau,Simon,"
                   "Laurent,Lefebvre,Michel,Benali,Girard"),
            (*_GLOBAL_DOMAINS, "orange.fr", "free.fr", "laposte.net", "sfr.fr"),
            _split("Louise,Ambre,Jade,Alba,Emma,Gabriel,Raphaël,Léo,Louis,Arthur,Jules,Chloé,"
                   "Maël,Inès,Lucas,Adam")),
    Country("ES", "es-ES", 3, (1,), 21,
            _split("Lucía,María,Paula,Laura,Marta,Carmen,Alejandro,Pablo,Javier,Sergio,David,Ainhoa"),
            _split("García,Fernández,González,Rodríguez,López,Martínez,Sánchez,Pérez,Gómez,Ruiz"),
            (*_GLOBAL_DOMAINS, "hotmail.es", "telefonica.net"),
            _split("Lucía,Sofía,Martina,Hugo,Mateo,Martín,Leo,Valeria,Daniela,Álvaro,Pablo,Julia")),
    Country("IT", "it-IT", 2, (1,), 22,
            _split("Giulia,Francesca,Chiara,Sara,Martina,Marco,Luca,Alessandro,Andrea,Matteo"),
            _split("Rossi,Russo,Ferrari,Esposito,Bianchi,Romano,Colombo,Ricci,Marino,Greco"),
            (*_GLOBAL_DOMAINS, "libero.it", "virgilio.it", "tiscali.it"),
            _split("Sofia,Aurora,Giulia,Ginevra,Leonardo,Francesco,Tommaso,Edoardo,Alice,Lorenzo")),
    Country("NL", "nl-NL", 3, (1,), 21,
            _split("Sanne,Lisa,Anouk,Femke,Iris,Daan,Bram,Thijs,Ruben,Jeroen,Fleur,Sem"),
            _split("de Jong,Jansen,de Vries,van den Berg,van Dijk,Bakker,Visser,Smit,Meijer,"
                   "de Boer"),
            (*_GLOBAL_DOMAINS, "ziggo.nl", "kpnmail.nl", "xs4all.nl"),
            _split("Noah,Luca,Sem,Liam,Emma,Julia,Mila,Tess,Sophie,Finn,Daan,Nova")),
    Country("SE", "sv-SE", 2, (1,), 25,
            _split("Emma,Maja,Elin,Sara,Linnea,Erik,Johan,Oskar,Anders,Karl,Björn,Astrid"),
            _split("Andersson,Johansson,Karlsson,Nilsson,Eriksson,Larsson,Olsson,Persson,Svensson"),
            (*_GLOBAL_DOMAINS, "telia.com", "bredband.net"),
            _split("Alice,Olivia,Astrid,Maja,Vera,Noah,William,Hugo,Liam,Elsa,Alma,Oscar")),
    Country("PL", "pl-PL", 1.5, (1,), 23,
            _split("Anna,Katarzyna,Agnieszka,Magdalena,Piotr,Tomasz,Paweł,Michał,Łukasz,Zofia"),
            _split("Nowak,Kowalski,Wiśniewski,Wójcik,Kowalczyk,Kamiński,Lewandowski,Zieliński"),
            (*_GLOBAL_DOMAINS, "wp.pl", "o2.pl", "interia.pl"),
            _split("Zuzanna,Zofia,Hanna,Julia,Antoni,Jan,Aleksander,Franciszek,Nikola,Lena")),
    Country("AU", "en-AU", 4, (10, 10, 8), 0,
            _split("Chloe,Jess,Bec,Kylie,Tegan,Mitch,Brad,Lachlan,Jake,Hamish,Mei,Anh"),
            _split("Smith,Jones,Williams,Brown,Wilson,Taylor,Nguyen,Ryan,Kelly,Tran,Murphy"),
            (*_GLOBAL_DOMAINS, "bigpond.com", "optusnet.com.au"),
            _split("Charlotte,Amelia,Isla,Olivia,Oliver,Noah,Jack,Leo,Harper,Mia,Henry,Matilda")),
    Country("BR", "pt-BR", 2, (-3,), 0,
            _split("Ana,Juliana,Fernanda,Camila,Beatriz,Lucas,Gabriel,Rafael,Thiago,João"),
            _split("Silva,Santos,Oliveira,Souza,Rodrigues,Ferreira,Alves,Pereira,Lima,Gomes"),
            (*_GLOBAL_DOMAINS, "uol.com.br", "bol.com.br", "hotmail.com"),
            _split("Helena,Alice,Laura,Maria,Miguel,Arthur,Heitor,Théo,Davi,Valentina")),
    Country("MX", "es-MX", 2, (-6,), 0,
            _split("Guadalupe,Mariana,Daniela,Fernanda,Alejandra,José,Luis,Carlos,Jorge,Diego"),
            _split("Hernández,García,Martínez,López,González,Pérez,Rodríguez,Sánchez,Ramírez,Cruz"),
            (*_GLOBAL_DOMAINS, "hotmail.com", "prodigy.net.mx"),
            _split("Sofía,Regina,Valentina,Camila,Santiago,Mateo,Sebastián,Leonardo,Emiliano,Ximena")),
    Country("IN", "en-IN", 3, (5,), 0,
            _split("Priya,Ananya,Divya,Kavya,Neha,Pooja,Rahul,Arjun,Vikram,Rohan,Aditya,Sneha"),
            _split("Sharma,Patel,Reddy,Iyer,Gupta,Singh,Kumar,Nair,Menon,Joshi,Rao,Chatterjee"),
            (*_GLOBAL_DOMAINS, "rediffmail.com", "yahoo.co.in"),
            _split("Aarav,Vivaan,Aditya,Ishaan,Saanvi,Aadhya,Diya,Anika,Kiara,Reyansh,Myra,Advik")),
    Country("JP", "ja-JP", 1, (9,), 0,
            _split("Yuki,Haruka,Aoi,Sakura,Misaki,Hiroshi,Takumi,Kenta,Daiki,Yuto"),
            _split("Sato,Suzuki,Takahashi,Tanaka,Watanabe,Ito,Yamamoto,Nakamura,Kobayashi,Kato"),
            (*_GLOBAL_DOMAINS, "docomo.ne.jp", "yahoo.co.jp"),
            _split("Himari,Tsumugi,Mei,Ren,Haruto,Minato,Sota,Yua,Riko,Aoi")),
    Country("KR", "ko-KR", 0.5, (9,), 0,
            _split("Jiwoo,Seoyeon,Minji,Hyejin,Jimin,Minjun,Seojun,Dohyun,Jihoon,Hyunwoo"),
            _split("Kim,Lee,Park,Choi,Jung,Kang,Cho,Yoon,Jang,Lim"),
            (*_GLOBAL_DOMAINS, "naver.com", "daum.net"),
            _split("Seoah,Hayoon,Jiu,Eunwoo,Siwoo,Doyun,Yejun,Harin,Juwon,Ian")),
    Country("NG", "en-NG", 1, (1,), 0,
            _split("Chiamaka,Ngozi,Funmilayo,Aisha,Blessing,Chinedu,Emeka,Oluwaseun,Tunde,Ibrahim"),
            _split("Okafor,Adeyemi,Okonkwo,Bello,Eze,Ogunleye,Nwosu,Abubakar,Adebayo,Obi"),
            (*_GLOBAL_DOMAINS, "yahoo.com"),
            _split("Chidera,Tobi,Ifeoma,Zainab,Kelechi,Ayo,Amara,David,Esther,Daniel")),
    Country("ZA", "en-ZA", 1, (2,), 0,
            _split("Thandi,Lerato,Naledi,Anele,Sipho,Thabo,Pieter,Johan,Zanele,Bongani"),
            _split("Nkosi,Dlamini,Botha,van der Merwe,Naidoo,Mokoena,Khumalo,Pillay,Steyn,Ndlovu"),
            (*_GLOBAL_DOMAINS, "mweb.co.za"),
            _split("Lethabo,Amahle,Junior,Melokuhle,Bandile,Onalerato,Liam,Ayanda,Zoe,Kamva")),
)  # fmt: skip
COUNTRY_WEIGHTS = [country.weight for country in COUNTRIES]

DIETS = (
    ("vegetarian", 0.12),
    ("vegan", 0.03),
    ("pescatarian", 0.05),
    ("gluten_free", 0.05),
    ("dairy_free", 0.06),
    ("nut_free", 0.07),
    ("halal", 0.04),
    ("kosher", 0.015),
    ("low_sugar", 0.10),
    ("no_pork", 0.03),
)
ALLERGENS = ("peanuts", "tree nuts", "eggs", "milk", "sesame", "shellfish", "wheat", "soy")


def ascii_fold(text: str) -> str:
    """A name as the ASCII letters an email address would use ('Müller' -> 'muller')."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum())


def email_for(rng: random.Random, country: Country, first: str, last: str, used: set[str]) -> str:
    """A plausible, unique personal email address."""
    first_part, last_part = ascii_fold(first), ascii_fold(last) or "x"
    style = rng.random()
    if style < 0.3:
        local = f"{first_part}.{last_part}"
    elif style < 0.5:
        local = f"{first_part}{last_part}{rng.randint(1, 99)}"
    elif style < 0.65:
        local = f"{first_part[0]}{last_part}"
    elif style < 0.78:
        local = f"{first_part}_{last_part}{rng.choice(('', '', str(rng.randint(70, 99))))}"
    elif style < 0.9:
        local = f"{first_part}{rng.randint(1975, 2001)}"
    else:
        local = f"{last_part}.family"
    domain = rng.choice(country.domains)
    address = f"{local}@{domain}"
    while address in used:
        address = f"{local}{rng.randint(2, 9999)}@{domain}"
    used.add(address)
    return address


def kids_for(rng: random.Random, country: Country) -> list[dict[str, Any]]:
    """The children of a family: names, ages, allergies, how picky they are."""
    count = rng.choices((1, 2, 3, 4), weights=(40, 38, 16, 6))[0]
    names = rng.sample(country.kid_names, k=min(count, len(country.kid_names)))
    kids: list[dict[str, Any]] = []
    for name in names:
        kid: dict[str, Any] = {
            "name": name,
            "age": rng.choices(range(1, 13), weights=(6, 10, 12, 12, 11, 10, 9, 8, 7, 6, 5, 4))[0],
            "picky": rng.random() < 0.55,
        }
        if rng.random() < 0.09:
            kid["allergies"] = rng.sample(ALLERGENS, k=rng.choice((1, 1, 1, 2)))
        kids.append(kid)
    return kids


def diet_for(rng: random.Random, kids: list[dict[str, Any]]) -> list[str]:
    """Household diet preferences; an allergy in the family usually shows here too."""
    diet = [name for name, share in DIETS if rng.random() < share]
    allergens = {a for kid in kids for a in kid.get("allergies", [])}
    if allergens & {"peanuts", "tree nuts"} and "nut_free" not in diet:
        diet.append("nut_free")
    if "milk" in allergens and "dairy_free" not in diet:
        diet.append("dairy_free")
    return diet
