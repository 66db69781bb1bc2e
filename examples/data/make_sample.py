#!/usr/bin/env python3
"""Writes sample.jsonl: a few hundred short texts on eight topics, in four languages, from three
sources, skewed as real data is (some topics and languages far more common than others). Texts
only: Sieve embeds them itself. Deterministic: the same file on every run."""

import json
import random

TOPICS = {
    "cooking": (["How long should I {v} the {n} for a {a} {m}?", "A {a} {m} needs the {n} {v}ed slowly.",
                 "Tips to {v} {n} without a recipe for {m}", "Why does my {m} taste {a} after I {v} the {n}?"],
                dict(v=["roast", "simmer", "bake", "braise", "season"], n=["onions", "garlic", "dough", "lentils", "tomatoes"],
                     a=["crispy", "bitter", "creamy", "spicy", "bland"], m=["soup", "stew", "bread", "curry", "sauce"])),
    "astronomy": (["Can a {a} telescope show the {n} of {m}?", "The {n} of {m} is {v}ing, say {a} observations.",
                   "When is the best night to {v} {m} and its {n}?", "What makes the {n} around {m} look {a}?"],
                  dict(v=["observe", "orbit", "photograph", "track", "eclipse"], n=["rings", "moons", "craters", "atmosphere", "comet tail"],
                       a=["small", "amateur", "infrared", "faint", "bright"], m=["Saturn", "Jupiter", "Mars", "Venus", "the Moon"])),
    "football": (["Why did the {a} {m} {v} the {n} so late?", "The {m} must {v} the {n} to stay {a}.",
                  "Best {n} drills to {v} for a {a} {m}", "Is a {a} {n} enough for the {m} to {v}?"],
                 dict(v=["defend", "press", "score", "pass", "substitute"], n=["penalty", "midfield", "corner", "offside line", "counterattack"],
                      a=["young", "tired", "attacking", "compact", "relegated"], m=["striker", "goalkeeper", "coach", "team", "defender"])),
    "programming": (["How do I {v} a {n} in {m} without a {a} loop?", "My {m} {n} is {a} after I {v} it.",
                     "Why does {m} {v} the {n} when it is {a}?", "Fastest way to {v} a {a} {n} in {m}"],
                    dict(v=["sort", "parse", "serialize", "refactor", "debug"], n=["list", "JSON file", "hash map", "string", "thread pool"],
                         a=["nested", "slow", "recursive", "mutable", "null"], m=["Python", "Java", "Rust", "Go", "JavaScript"])),
    "medicine": (["Can {n} cause {a} {m} after I {v}?", "Doctors {v} {n} for {a} {m}.",
                  "Is it safe to {v} while taking {n} for {m}?", "What {a} signs of {m} should make me {v}?"],
                 dict(v=["exercise", "fast", "sleep", "travel", "recover"], n=["ibuprofen", "antibiotics", "vitamin D", "insulin", "caffeine"],
                      a=["chronic", "mild", "sudden", "persistent", "severe"], m=["headaches", "fatigue", "fever", "back pain", "insomnia"])),
    "finance": (["Should I {v} my {n} when {m} rates are {a}?", "A {a} {m} market makes {n} harder to {v}.",
                 "How to {v} {n} before {m} taxes rise", "Why is my {n} {a} although I {v} every {m}?"],
                dict(v=["invest", "refinance", "save", "diversify", "withdraw"], n=["pension", "mortgage", "index fund", "savings", "bonds"],
                     a=["rising", "volatile", "low", "uncertain", "stagnant"], m=["interest", "housing", "month", "stock", "inflation"])),
    "gardening": (["When should I {v} {n} in {a} {m}?", "My {n} wilt in {a} {m} even though I {v} them.",
                   "How often to {v} {n} growing in {m}?", "Can {n} survive a {a} {m} if I {v} early?"],
                  dict(v=["prune", "water", "plant", "mulch", "repot"], n=["roses", "tomatoes", "basil", "apple trees", "tulips"],
                       a=["clay", "sandy", "shady", "dry", "frosty"], m=["soil", "spring", "containers", "winter", "raised beds"])),
    "music": (["How do I {v} a {a} {n} on the {m}?", "The {m} sounds {a} when I {v} the {n}.",
               "Exercises to {v} {n} on {m} for beginners", "Why is my {n} {a} on the {m} after I {v}?"],
              dict(v=["tune", "practise", "transpose", "record", "improvise"], n=["chord", "scale", "melody", "riff", "rhythm"],
                   a=["minor", "muddy", "syncopated", "flat", "fast"], m=["guitar", "piano", "violin", "drums", "cello"])),
}
# long-tailed: two common topics, two rare ones
TOPIC_WEIGHTS = {"cooking": 20, "programming": 18, "football": 12, "finance": 10, "music": 8,
                 "medicine": 6, "gardening": 4, "astronomy": 3}
LANGS = {"en": 70, "de": 14, "fr": 10, "es": 6}
SOURCES = {"forum": 50, "wiki": 30, "news": 20}
# the texts stay English; a prefix marks the language, as a tag in a real corpus would
LANG_PREFIX = {"en": "", "de": "[de] ", "fr": "[fr] ", "es": "[es] "}


def pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def main():
    rng = random.Random(12)
    lines, seen = [], set()
    while len(lines) < 400:
        topic = pick(rng, TOPIC_WEIGHTS)
        templates, words = TOPICS[topic]
        text = rng.choice(templates).format(**{k: rng.choice(v) for k, v in words.items()})
        lang = pick(rng, LANGS)
        text = LANG_PREFIX[lang] + text
        if text in seen:
            continue
        seen.add(text)
        lines.append({"id": f"sample-{len(lines):04d}", "text": text, "label": topic,
                      "groups": {"lang": lang, "source": pick(rng, SOURCES)}})
    with open("sample.jsonl", "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
