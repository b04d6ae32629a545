"""Generate a synthetic vault shaped like a real analyst's vault, deterministically.

    python benchmarks/generate.py OUT_DIR --notes 10000 --seed 1

Mix (of N notes): 15 % countries, 20 % organisations, 20 % people, 25 % relationships (front
matter with actors/status/tags, bullet sections, a milestone table, Related Notes, Sources),
10 % events, 10 % clipped articles without front matter. Names repeat across folders now and
then, links point at existing and missing notes, tags are nested.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

SYLLABLES = "al an ar ba da el en ha ir is ka la ma na or ra sa ta ul za bet kor vin dal mur sen tor".split()
WORDS = (
    "alliance pressure talks strikes sanctions treaty border militia ceasefire intelligence deterrence "
    "election protest summit pipeline embargo envoy coalition mediation accord missile drone reactor "
    "corridor refugee port negotiation sovereignty cooperation rivalry"
).split()
STATUSES = ["close alliance", "hostile", "stalled", "open conflict", "cautious détente", "normalising"]
PUBLISHERS = ["Carnegie", "Chatham House", "Brookings", "RAND", "IISS", "Crisis Group"]
MONTHS = "January February March April May June July August September October November December".split()


def _name(rng: random.Random, parts: int = 2) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize() for _ in range(parts))


def _sentence(rng: random.Random, links: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    if links and rng.random() < 0.6:
        words.insert(rng.randint(0, len(words)), f"[[{rng.choice(links)}]]")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def generate(out: Path, notes: int, seed: int = 1) -> list[Path]:
    """Write ``notes`` notes into ``out`` (replacing it) and return their paths."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    counts = {
        "Countries": int(notes * 0.15),
        "Organizations": int(notes * 0.20),
        "People": int(notes * 0.20),
        "Relationships": int(notes * 0.25),
        "Events": int(notes * 0.10),
    }
    counts["Clippings"] = notes - sum(counts.values())
    names: dict[str, list[str]] = {folder: [] for folder in counts}
    seen: set[str] = set()
    for folder, n in counts.items():
        while len(names[folder]) < n:
            name = _name(rng, 1 if folder == "Countries" else 2)
            if folder == "Relationships":
                name = f"{rng.choice(names['Countries'] or ['Norland'])}-{_name(rng, 1)} Relations"
            if folder == "Clippings":
                name = f"{2020 + rng.randint(0, 5)}-{rng.randint(1, 12):02d} {_name(rng, 3)}"
            if name in names[folder] or (name in seen and rng.random() > 0.01):
                continue  # a few names repeat across folders, on purpose; never within one
            seen.add(name)
            names[folder].append(name)
    actors = names["Countries"] + names["Organizations"] + names["People"]
    everything = [n for group in names.values() for n in group]
    missing = [_name(rng, 2) for _ in range(max(5, notes // 50))]
    written: list[Path] = []
    for folder, group in names.items():
        for i, name in enumerate(group):
            sub = f"{folder}/{'Archive/' if i % 17 == 0 else ''}"
            path = out / f"{sub}{name}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_note(rng, folder, name, actors, everything, missing), encoding="utf-8")
            written.append(path)
    return written


def _note(
    rng: random.Random, folder: str, name: str, actors: list[str], everything: list[str], missing: list[str]
) -> str:
    links = [*rng.sample(everything, k=min(4, len(everything))), rng.choice(missing)]
    tags = [f"region/{rng.choice(['levant', 'gulf', 'maghreb', 'caucasus'])}", rng.choice(WORDS)]
    if folder == "Clippings":
        names = rng.sample(actors, k=min(3, len(actors)))
        return (
            "\n".join(" ".join(_sentence(rng, []) + f" {nm} said." for nm in names) for _ in range(rng.randint(3, 6)))
            + "\n"
        )
    fm = {
        "Countries": f"type: country\naliases: [{name[:3].upper()}]\nwikidata: Q{rng.randint(1, 99999)}\n",
        "Organizations": f"type: organization\nbased_in: {rng.choice(actors)}\nfounded: {rng.randint(1900, 2020)}\n",
        "People": f"type: person\naliases: [{name.split()[-1]}]\n"
        f"born: {rng.randint(1940, 1990)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\n",
        "Relationships": f"type: relationship\nactors: [{', '.join(rng.sample(actors, k=2))}]\n"
        f"status: {rng.choice(STATUSES)}\n",
        "Events": f"type: event\ndate: {rng.randint(1950, 2025)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\n"
        f"participants: [{', '.join(rng.sample(actors, k=2))}]\n",
    }[folder]
    body = [f"# {name}", "", "## Overview", _sentence(rng, links), _sentence(rng, links), ""]
    if folder == "Relationships":
        body += ["## Key Points", *(f"- {_sentence(rng, links)}" for _ in range(5))]
        body += [f"- {rng.choice(MONTHS)} {rng.randint(2000, 2025)}: {_sentence(rng, links)}", ""]
        body += ["## Key Milestones", "| Year | Event |", "|------|-------|"]
        body += [f"| {rng.randint(1950, 2025)} | {_sentence(rng, links)} |" for _ in range(rng.randint(3, 7))]
        body += ["", "## Sources"]
        body += [
            f"- [{rng.choice(PUBLISHERS)} - {_sentence(rng, [])[:40]}]"
            f"(https://analysis.example.org/{rng.randint(1, 10**6)})"
            for _ in range(3)
        ]
    body += ["", "## Related Notes", *(f"- [[{link}]]" for link in links[:3]), ""]
    return f"---\n{fm}tags: [{', '.join(tags)}]\n---\n" + "\n".join(body)


FAULTS = [
    "---\ntype: relationship\nactors: [{a}]\n---\n# One-sided\nOnly [[{a}]] is named.\n",
    "---\ntype: relationship\nactors: [{a}, {e}]\nstatus: tense\n---\nAn event as an actor.\n",
    "---\ntype: person\nborn: 1961\n---\nBorn in a year, not on a date.\n",
    "---\ntype: event\nparticipants: [{a}]\n---\nNo date at all.\n",
    "---\ntype: event\ndate: 2020-05-01\nend: 2019\n---\nEnds before it starts.\n",
    "---\ntype: relationship\nactors: [{a}, {b}]\nstatus: open\n---\n## Sources\n- https://example.org/{n}\n",
    "---\ntags: [loose]\n---\nA note without a type that links [[{a}]].\n",
    "---\ntype: organization\naliases: [{alias}]\n---\nShares an alias with another note.\n",
]


def inject_faults(out: Path, count: int, seed: int = 1) -> list[Path]:
    """Add ``count`` notes to the vault at ``out`` that break shapes and checks (one relationship
    with one actor, a person born in a year, an undated event …), into ``out/Faults/``."""
    rng = random.Random(seed)
    actors = sorted(p.stem for folder in ("Countries", "Organizations", "People") for p in (out / folder).rglob("*.md"))
    events = sorted(p.stem for p in (out / "Events").rglob("*.md")) or actors
    folder = out / "Faults"
    folder.mkdir(exist_ok=True)
    written = []
    for n in range(count):
        a, b = rng.sample(actors, k=2)
        text = FAULTS[n % len(FAULTS)].format(a=a, b=b, e=rng.choice(events), n=n, alias=f"Alias {n // len(FAULTS)}")
        path = folder / f"Fault {n:05d}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"wrote {len(generate(args.out, args.notes, args.seed))} notes to {args.out}")


if __name__ == "__main__":
    main()
