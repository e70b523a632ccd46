"""The tamper-evident ledger: a ``hash`` per row, chained per player, and the daily roots.

Existing rows are hashed here, a batch of players at a time (leaderboard/ledger.py); the
figures for a million rows are in docs/ledger.md (scripts/ledger_migration_bench.py).
"""

from django.db import migrations, models
from django.utils import timezone


def hash_existing_rows(apps, schema_editor):
    from leaderboard import ledger

    ledger.backfill(apps.get_model("leaderboard", "ScoreHistory"), apps.get_model("accounts", "User"),
                    using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_user_ledger_head"),
        ("leaderboard", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="scorehistory",
            name="hash",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=64,
                help_text="SHA-256 chained over the player's previous row (see leaderboard/ledger.py)",
            ),
        ),
        migrations.CreateModel(
            name="LedgerRoot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(help_text="the UTC day whose end the root seals", unique=True)),
                ("root", models.CharField(max_length=64)),
                ("players", models.PositiveIntegerField(help_text="players with at least one row by then")),
                ("rows", models.PositiveBigIntegerField(help_text="ledger rows written by then")),
                ("recorded_at", models.DateTimeField(default=timezone.now)),
            ],
            options={"ordering": ["-day"]},
        ),
        migrations.RunPython(hash_existing_rows, migrations.RunPython.noop, elidable=True),
    ]
