from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .catalog import action_kind_forget
        from .models import ActionType

        def forget(sender, instance, **kwargs):  # noqa: ARG001 - signal signature
            action_kind_forget(instance.code)

        post_save.connect(forget, sender=ActionType, dispatch_uid="actions.type.forget.save", weak=False)
        post_delete.connect(forget, sender=ActionType, dispatch_uid="actions.type.forget.delete", weak=False)
