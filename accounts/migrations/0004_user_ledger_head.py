from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_token_revocation"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="ledger_head",
            field=models.CharField(default="0" * 64, editable=False, max_length=64),
        ),
    ]
