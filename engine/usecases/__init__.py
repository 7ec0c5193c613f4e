"""The use cases: one plain function per thing a person (or the timer) does, each taking a unit of
work (or, for the ones that run several transactions, the factory of units of work), an actor and
a clock.

Transactions. A use case that is one transaction (start_instance, complete_task, claim_task,
deliver_message, deploy, ...) runs inside the unit of work its caller opened and leaves the commit
to that caller — the CLI command or the web view says ``uow.commit()`` once the use case returned,
so nothing is committed when it raised, and a caller may run two use cases in one transaction (the
demo data does). A use case that is by nature several transactions — the timer sweep (one per due
instance, so one failing instance cannot hold back the rest), initialize (schema, then groups, then
processes, then users) — takes ``db.uow`` and commits each of its own units of work."""
