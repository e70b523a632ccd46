from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("actions", "0002_seed_action_types")]

    operations = [
        migrations.AddField(
            model_name="actiontype",
            name="daily_limit",
            field=models.PositiveIntegerField(
                blank=True, null=True,
                help_text="completions per player per UTC day, counted at request; empty: no cap of its own",
            ),
        ),
        migrations.AddField(
            model_name="actiontype",
            name="references",
            field=models.JSONField(
                blank=True, null=True, help_text="the allowed references (a list of strings); empty: any reference",
            ),
        ),
    ]
