import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_user_display_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Follow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("followee", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="followers",
                                               to=settings.AUTH_USER_MODEL)),
                ("follower", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="following",
                                               to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("follower", "followee"), name="accounts_follow_once"),
                    models.CheckConstraint(condition=models.Q(("follower", models.F("followee")), _negated=True),
                                           name="accounts_follow_not_self"),
                ],
            },
        ),
    ]
