from django.db import migrations

DEFAULT_ACTION_TYPES = [
    # code, points, min ms, max ms, repeatable, authoritative
    ("COMPLETE_LEVEL", 100, 1000, 300000, True, False),
    ("COMPLETE_QUEST", 250, 1000, 600000, False, False),
    ("DEFEAT_BOSS", 500, 1000, 900000, True, True),
]


def create_action_types(apps, schema_editor):
    ActionType = apps.get_model("actions", "ActionType")
    for code, points, min_ms, max_ms, repeatable, authoritative in DEFAULT_ACTION_TYPES:
        ActionType.objects.get_or_create(
            code=code,
            defaults={
                "points": points,
                "min_duration_ms": min_ms,
                "max_duration_ms": max_ms,
                "repeatable": repeatable,
                "authoritative": authoritative,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("actions", "0001_initial")]

    operations = [migrations.RunPython(create_action_types, migrations.RunPython.noop)]
