"""docs/api.md's seeded catalog: ``COMPLETE_QUEST`` has ``dailyLimit`` 20."""

from django.db import migrations

DEFAULT_DAILY_LIMITS = {"COMPLETE_QUEST": 20}


def set_daily_limits(apps, schema_editor):
    ActionType = apps.get_model("actions", "ActionType")
    for code, limit in DEFAULT_DAILY_LIMITS.items():
        # Only where an operator has not set one already.
        ActionType.objects.filter(code=code, daily_limit__isnull=True).update(daily_limit=limit)


class Migration(migrations.Migration):
    dependencies = [("actions", "0003_actiontype_daily_limit_references")]

    operations = [migrations.RunPython(set_daily_limits, migrations.RunPython.noop)]
