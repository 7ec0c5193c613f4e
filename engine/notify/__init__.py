"""Notifications: who is told what (``outbox``: rows written in the step's transaction), and how
it reaches them (``channels``: Aliyun SMS, WeCom and DingTalk group robots, SMTP), sent by the
timer loop's worker (engine/usecases/notifications.py)."""
