"""The benchmark's table: per family, who was flagged and how soon."""

from __future__ import annotations

from statistics import median

from .population import Outcome

WITHIN = 20


def rows(outcomes: list[Outcome]) -> list[dict]:
    families: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        families.setdefault(outcome.family.name, []).append(outcome)
    table = []
    for name, group in sorted(families.items(), key=lambda item: (not item[1][0].family.bot, item[0])):
        flagged = [o for o in group if o.first_flag_at is not None]
        firsts = [o.first_flag_at for o in flagged if o.first_flag_at]
        table.append(
            {
                "family": name,
                "bot": group[0].family.bot,
                "players": len(group),
                "flagged": len(flagged),
                "flaggedWithin20": sum(1 for n in firsts if n <= WITHIN),
                "medianActionsToFirstFlag": median(firsts) if firsts else None,
                "meanScored": round(sum(len(o.action_ids) for o in group) / len(group), 1),
                "banned": sum(1 for o in group if o.banned),
                "reasons": sorted({r for o in flagged for r in o.reasons}),
                "refusals": sum(n for o in group for key, n in o.statuses.items() if key != "200"),
                "refusalKinds": _kinds(group),
            }
        )
    return table


def _kinds(group: list[Outcome]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for outcome in group:
        for key, count in outcome.statuses.items():
            if key != "200":
                kinds[key] = kinds.get(key, 0) + count
    return kinds


def summary(outcomes: list[Outcome]) -> dict:
    signature = [o for o in outcomes if o.family.bot and "mimic" not in o.family.name]
    humans = [o for o in outcomes if not o.family.bot]
    caught = sum(1 for o in signature if o.first_flag_at and o.first_flag_at <= WITHIN)
    false = sum(1 for o in humans if o.first_flag_at is not None)
    return {
        "signatureBots": len(signature),
        "signatureBotsFlaggedWithin20": caught,
        "signatureBotShare": caught / len(signature) if signature else None,
        "humans": len(humans),
        "humansFlagged": false,
        "humanShare": false / len(humans) if humans else None,
    }


def render(outcomes: list[Outcome]) -> str:
    header = (
        "| family | players | flagged | share | flagged within 20 | median actions to first flag "
        "| banned | scored / player | reasons | refusals |"
    )
    lines = [header, "|" + "---|" * 10]
    for row in rows(outcomes):
        share = f"{row['flagged'] / row['players']:.0%}"
        med = row["medianActionsToFirstFlag"]
        lines.append(
            f"| {row['family']} | {row['players']} | {row['flagged']} | {share} | "
            f"{row['flaggedWithin20'] if row['bot'] else '-'} | {med if med is not None else '-'} | {row['banned']} | "
            f"{row['meanScored']} | {', '.join(row['reasons']) or '-'} | {row['refusals']} |"
        )
    kinds = {row["family"]: row["refusalKinds"] for row in rows(outcomes) if row["refusalKinds"]}
    if kinds:
        lines.append("")
        lines.append(f"refusals: {kinds}")
    total = summary(outcomes)
    if total["signatureBots"]:
        lines.append("")
        lines.append(
            f"signature bots flagged within {WITHIN} completions: {total['signatureBotsFlaggedWithin20']}"
            f"/{total['signatureBots']} ({total['signatureBotShare']:.1%}); target >= 95 %"
        )
    if total["humans"]:
        lines.append(
            f"humans flagged: {total['humansFlagged']}/{total['humans']} ({total['humanShare']:.1%}); "
            "target <= 1 %"
        )
    return "\n".join(lines)
