from django.db import transaction

from .models import Membership, Tenant, User


def membership_grant(*, tenant: Tenant, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def user_ensure(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """The user with this e-mail, created with this password if new (an existing password is left alone)."""
    user = User.objects.filter(email=email.lower()).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    return user
