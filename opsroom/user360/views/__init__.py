"""Pages of the people app: the list (lists.py), the User 360 page (person.py), quick
actions (actions.py) and the health settings (health.py)."""
