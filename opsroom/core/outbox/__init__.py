"""The outbox: side effects (emails, Stripe calls, webhooks) written as intents in the
transaction that decides them, performed by a task after commit, idempotently, with retries.

- registry.py  the kinds of side effect, each registered by the app that owns it
- services.py  enqueue (in the caller's transaction), retry and cancel (operators), the sweep
- runner.py    claim one entry, perform it outside any transaction, record the outcome
- selectors.py reads for the page, the API and a person's page
- tasks.py     the task that runs one entry, and the periodic sweep
"""
