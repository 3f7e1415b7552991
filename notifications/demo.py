"""Demo e-mail addresses: every demo user gets one (unless set already), so the notifications the demo's own
records trigger — issues filed, evidence submitted, meetings scheduled — are e-mailed too; ``make demo`` writes
them to demo-mail/ (one file per message). Runs after communities' demo (the users) and before the apps whose demo
records send notifications. Idempotent."""

from communities.demo import DEMO_USERS
from communities.models import User

DEMO_MAIL_DOMAIN = "demo.renovation.example.cn"


def demo_email(username: str) -> str:
    return f"{username}@{DEMO_MAIL_DOMAIN}"


def load(stdout=None) -> dict:
    usernames = [demo.username for demo in DEMO_USERS]
    for user in User.objects.filter(username__in=usernames, email=""):
        user.email = demo_email(user.username)
        user.save(update_fields=["email"])
    if stdout is not None:
        stdout.write("  Demo e-mail addresses (their messages are written to demo-mail/):")
        for username, email in (
            User.objects.filter(username__in=usernames).order_by("pk").values_list("username", "email")
        ):
            stdout.write(f"    {username:<18} {email}")
    return {}
