"""What customers write about, topic by topic: each intent's subjects, bodies and agent answers.

An intent keeps its subject, body and first answer consistent ("how do I add a child" gets
the answer about adding a child); the variety comes from the many phrasings of each.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    replies: tuple[str, ...]


def _i(subjects: tuple[str, ...], bodies: tuple[str, ...], replies: tuple[str, ...]) -> Intent:
    return Intent(subjects, bodies, replies)


INTENTS: dict[str, tuple[Intent, ...]] = {
    "failed_payment": (
        _i(("Payment failed?", "Why did my payment fail", "Card declined but I have money on it",
            "Problem with my subscription payment", "payment not going through", "Billing issue"),
           ("I got an email saying my payment for {plan} failed but there is definitely money on "
            "my card ending {last4}. Can you try again?",
            "My card keeps getting declined ({decline_human}). I haven't changed anything. What "
            "do I need to do to keep my account?",
            "Just saw the payment failed message. Please don't cancel my kids' meal plans!",
            "payment failed again. card ending {last4}. is it your system or my bank??",
            "Your email says my {amount} payment didn't go through. My bank says they never saw a "
            "charge attempt. What's going on?"),
           ("I checked your account: the last charge on the card ending {last4} was declined by "
            "your bank with the reason '{decline_human}'. Banks don't always tell us more than "
            "that. You can retry with the same card or add another one under Settings > Billing.",
            "Sorry about that! The payment was declined by the card issuer ({decline_human}). "
            "Nothing is wrong with your account on our side; once the card works we'll retry.")),
        _i(("Can't update my card", "Card update not working", "New card won't save"),
           ("I tried to update my card in the app but it says 'Your card was declined'. I have "
            "used this card everywhere else today. Can you check on your side?",
            "Trying to put my new card in after the old one was declined. The form just spins."),
           ("Thanks for trying! Your bank asked for an extra verification step (3D Secure) that "
            "the app can miss. Please update the card on the website at littlebites.app/billing; "
            "it will show your bank's check.",)),
    ),
    "double_charge": (
        _i(("Charged twice this month", "Double charge on my card", "Duplicate payment",
            "Why was I billed {amount} twice?", "two charges from Little Bites"),
           ("I see two charges of {amount} on my statement from Little Bites this month. Please "
            "refund one of them.",
            "Looks like I was charged twice for {plan}. My card ends in {last4}. Can you look "
            "into it?",
            "why did you take {amount} two times?? i only have one account"),
           ("I looked at your payments and I only see one successful charge of {amount}; the "
            "other line is a pending authorisation that your bank will drop within a few days.",)),
    ),
    "unexpected_renewal": (
        _i(("I didn't want to renew", "Unexpected charge of {amount}", "Refund for renewal please",
            "Why was I charged {amount}??", "Auto-renewal charge - please refund"),
           ("I was just charged {amount} for another year of {plan}. I didn't realise it would "
            "renew automatically and we haven't used the app in months. Can I get a refund?",
            "Please refund the renewal charge of {amount}. I meant to cancel before it renewed.",
            "Annual renewal went through but we stopped using Little Bites. Refund please?"),
           ("I understand, annual renewals can sneak up on you. I've refunded {amount} to the "
            "card ending {last4} and canceled the subscription; the money should show up in 5-10 "
            "business days.",)),
    ),
    "price_question": (
        _i(("Question about pricing", "Monthly or annual?", "Is annual cheaper?"),
           ("I'm on {plan}. Is there a discount if I switch to annual?",
            "Thinking about paying yearly. How much would I save?"),
           ("Good question! Annual works out at about 35% cheaper than monthly, and you can switch "
            "any time in Settings > Subscription; we credit what's left of this month.",)),
        _i(("Premium or Family?", "Difference between Premium and Family", "Family plan worth it?"),
           ("We have {kids_count} kids, does the Family plan make sense for us or is Premium "
            "enough?", "What does Family add over Premium? We're {household} at home."),
           ("Family adds a food log and preferences per child, shared grocery lists and up to "
            "six profiles. With {kids_count} kids most families find it worth it.",)),
        _i(("Price went up?", "Will my price change?"),
           ("Noticed the monthly price is higher now on the website. Will my price change too?",),
           ("No change for you: subscribers keep the price they signed up at as long as the "
            "subscription stays active.",)),
    ),
    "bug": (
        _i(("App keeps showing an error", "Something went wrong", "Bug: {feature} not working",
            "{feature} is broken", "Error when {feature_gerund}", "Help - app error",
            "Getting 'Something went wrong' every time"),
           ("Every time I try to {feature_verb} I get 'Something went wrong'. I'm on "
            "{platform_human}, app version {app_version}.",
            "The app shows an error when {feature_gerund}. Tried closing and reopening, same "
            "thing. It started a few days ago.",
            "Hi, {feature} stopped working for us. I get an error screen. This is the main reason "
            "we use the app!",
            "Error again. {feature} does nothing and then 'Something went wrong'. {app_version}",
            "Not sure if it's me but {feature} gives an error. Screenshot attached (I hope)."),
           ("Thanks for reporting this, and sorry for the trouble. We found the cause and our "
            "engineers are working on a fix.",
            "Thank you for the details! This is a known issue on our side and a fix is on its "
            "way; I'll update you when it's out.")),
    ),
    "how_to": (
        _i(("How do I add a second child?", "Adding another kid", "add child profile?"),
           ("How do I add my second child? I only see {kid}'s profile.",
            "We just had a baby! How do I add another child to the account?"),
           ("Congratulations! Go to Settings > Family and tap 'Add child'. Each child gets their "
            "own food log and preferences.",)),
        _i(("How to share my meal plan with my partner", "Share plan with my husband?",
            "Two phones, one plan?"),
           ("Is there a way to share the meal plan with my husband so we both see the grocery "
            "list?", "Can my partner see the same plan on her phone?"),
           ("Yes! Settings > Family > Invite a partner. They get the same plan and grocery list; "
            "ticking an item off shows on both phones.",)),
        _i(("How do I change the number of servings?", "Servings question"),
           ("Can I change the servings for the whole week at once? We are {household} people.",),
           ("Open the week, tap the three dots and choose 'Servings for the week'. Recipes and "
            "the grocery list scale together.",)),
        _i(("Can I print the weekly plan?", "Print / PDF?", "printing"),
           ("I want to print the weekly plan for the fridge. Where is that option? I'm on "
            "{platform_human}.",),
           ("Yes: open the week, tap the share icon and choose 'Print / PDF'.",)),
        _i(("Where are my saved recipes?", "Lost my favourites"),
           ("Where do my saved recipes go? I saved a bunch and can't find them.",),
           ("They're under Recipes > Saved (the heart icon). Recipes you add to a plan are also "
            "in the plan itself.",)),
        _i(("How does the food log work", "Food log question", "Tracking new foods"),
           ("How does the food log work exactly? Do I log every bite {kid} takes or just new "
            "foods?",),
           ("Log each time {kid} meets a food, even a lick counts! Kids often need 10-15 tries; "
            "the log shows the progress per food.",)),
        _i(("Quick question about allergies settings", "Allergy filter?"),
           ("Can I mark that {kid} is allergic to something so recipes are filtered?",),
           ("Yes: in {kid}'s profile, tap Allergies. Recipes with those ingredients are hidden "
            "and swaps are suggested.",)),
        _i(("Swap a meal in the plan?", "change one dinner", "Question"),
           ("how do i swap one dinner for another without redoing the whole plan",),
           ("Tap the meal in the plan, then 'Swap'. Your grocery list updates automatically.",)),
    ),
    "feature_request": (
        _i(("Feature request: {idea_short}", "Suggestion", "Would love {idea_short}",
            "Idea for the app", "Please add {idea_short}!"),
           ("It would be amazing if {idea}. Otherwise we love the app!",
            "Suggestion: {idea}. Would pay more for that tbh.",
            "Any plans for {idea_short}? Our family would use it every week.",
            "Please consider {idea}. Thanks for a great app."),
           ("Thank you for the suggestion! I've passed it on to our product team and added your "
            "vote for {idea_short}.",
            "Love this idea. It's on our list; I can't promise a date but I've noted your "
            "request.")),
    ),
    "account_access": (
        _i(("Password reset email never arrives", "forgot password", "Reset link not working"),
           ("I can't log in. I reset my password twice and the email never arrives. My email is "
            "{email}.", "The password reset link says it expired. Can you send a new one?"),
           ("I've sent a fresh password reset link to {email}. It expires in an hour, so please "
            "use it soon and check your spam folder.",)),
        _i(("Locked out of my account", "Account locked"),
           ("Locked out after too many attempts. Can you unlock my account? {email}",
            "The app logged me out and now says my password is wrong. I'm sure it's right."),
           ("I've unlocked your account. You should be able to sign in again now.",)),
        _i(("Changed my email address, now can't sign in", "Login problem"),
           ("I changed my email and now I can't sign in with the new one. Old email was {email}.",),
           ("I've updated the sign-in email on your account; use the new one with your usual "
            "password.",)),
        _i(("Sign in with Apple issue", "Switched to Android, can't log in"),
           ("I signed up with Apple and now I'm on an Android phone. How do I get into my "
            "account?",),
           ("On Android, choose 'Continue with email' and use {email}; I've linked it to your "
            "Apple sign-in so it's the same account.",)),
    ),
    "cancellation": (
        _i(("Cancel my subscription", "Please cancel", "How do I cancel?", "Cancel and refund",
            "Cancellation request", "Stop my subscription", "I want to cancel my {plan}"),
           ("Please cancel my subscription. {reason_human}",
            "I'd like to cancel {plan}. {reason_human} Thanks for everything.",
            "How do I cancel? I can't find it in the app. {reason_human}",
            "Cancel my account please and refund the last payment if possible.",
            "We don't use it enough anymore. Please cancel before the next charge."),
           ()),  # the answer depends on what the agent does, see CANCELLATION_REPLIES
    ),
    "invoice_request": (
        _i(("Invoice for my records", "Need a VAT invoice", "Receipt for {amount} payment",
            "Invoice with company name please", "Can I get an invoice?", "Receipt request"),
           ("Could you send me an invoice for my last payment ({amount})? I need it for my "
            "records.",
            "I need a proper VAT invoice with my company name for invoice {invoice_number}.",
            "Can I get a receipt for {amount}? The email one went to spam and I deleted it.",
            "Please send invoices for all my payments this year. Thank you."),
           ("Here's your invoice {invoice_number}; you can also download every invoice yourself "
            "under Settings > Billing.",
            "I've attached the invoice. If you need a company name or VAT number on it, add them "
            "under Settings > Billing and the next ones will include them.")),
    ),
    "email_preferences": (
        _i(("Too many emails", "Unsubscribe me", "Stop sending me emails", "Email settings",
            "Please remove me from your mailing list", "how do I turn off the newsletter"),
           ("I'm getting too many emails from you. Can I just get the receipts?",
            "Please unsubscribe me from the newsletter. {email}",
            "Stop emailing me please. The unsubscribe link doesn't work.",
            "How do I turn off the marketing emails but keep the weekly plan reminders?"),
           ("Done! I've turned off marketing emails for {email}. You'll still get receipts and "
            "important account messages.",)),
    ),
    "other": (
        _i(("Love the app!", "Thank you", "A small win"),
           ("Just wanted to say thank you. {kid} finally ate broccoli because of your tips!",),
           ("This made our day, thank you! Give {kid} a high five from the team.",)),
        _i(("Partnership inquiry", "Collaboration?"),
           ("We run a parenting blog and would love to partner with you. Who should I talk to?",),
           ("Thanks for reaching out! I've forwarded this to our partnerships team; they'll "
            "reply within a week.",)),
        _i(("Delete my account and data", "GDPR request"),
           ("Please delete my account and all my data under GDPR. Email: {email}",),
           ("We've received your request. Your account and data will be deleted within 30 days; "
            "you'll get a confirmation email.",)),
        _i(("Question about your data practices", "Privacy question"),
           ("Where is my family's data stored and do you sell it?",),
           ("We never sell data. It's stored in the EU and US with our hosting provider; our "
            "privacy policy has the details at littlebites.app/privacy.",)),
        _i(("Recipe has a mistake", "Typo in recipe"),
           ("The {recipe} recipe says 2 tbsp salt, I think it should be tsp?",),
           ("You're right, thank you! Our recipe team has fixed it.",)),
    ),
}  # fmt: skip

CANCELLATION_REPLIES = {
    "offer": (
        "I'm sorry to see you go! Before I cancel: would 30% off your next three months help? "
        "I've put it on your account, so nothing to do if you'd like to stay.",
    ),
    "refund": (
        "Done: your subscription is canceled and I've refunded your last payment; it should "
        "reach your card within 5-10 business days.",
    ),
    "period_end": (
        "Done: your subscription is canceled. You keep access until the end of the period you "
        "paid for, and you won't be charged again.",
        "All set. Your plan won't renew; everything stays available until the end of this "
        "billing period.",
    ),
}
