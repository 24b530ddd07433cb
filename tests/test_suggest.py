"""Lexicon suggestions: planted collocations and wildcard forms are found, and the YAML
printed is a lexicon that ``monitor lexicon check`` accepts."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from monitor import Database, Document
from monitor.analysis import suggest
from monitor.cli import main
from monitor.lexicon import check_lexicon, load_lexicon
from monitor.tally import tally_documents

LEXICON = {"name": "mini", "categories": {
    "hard": {"security": ["security", "national security"], "coerce": ["force*"]},
    "soft": ["culture"]}}


@pytest.fixture
def mini(tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(LEXICON), encoding="utf-8")
    lexicon = load_lexicon(path)
    db = Database(tmp_path / "s.db")
    texts = []
    for i in range(30):
        texts.append(f"Report {i}. Food security matters and food security is fragile; "
                     "the treaty entered into force. The labor force grew. National security"
                     " is stable. Armed forces paraded in the capital city.")
        texts.append(f"Speech {i}. Culture and music and art, theatre and dance in city"
                     " squares, and cinema.")
    db.add_documents(Document(text=t, source="s", external_id=str(i))
                     for i, t in enumerate(texts))
    tally_documents(db, [lexicon])
    yield db, lexicon
    db.close()


def test_suggestions_are_a_valid_lexicon_with_the_planted_candidates(mini, tmp_path):
    db, lexicon = mini
    found = suggest(db, lexicon, "hard", min_count=3)
    terms = {c.term: c for c in found.candidates}
    assert terms["food security"].kind == "collocation" and terms["food security"].count == 60
    assert "national security" not in terms            # already a term of the category
    assert "security" not in terms
    (forms,) = found.wildcards
    assert forms.term == "force*"
    assert dict(forms.forms) == {"force": 60, "forces": 30}
    assert {"entered into force", "labor force", "armed forces"} <= dict(forms.neighbours).keys()
    assert found.documents == 30
    text = found.to_yaml()
    path = tmp_path / "out.yaml"
    path.write_text(text, encoding="utf-8")
    assert check_lexicon(path) == []
    loaded = load_lexicon(path)
    assert loaded.name == "mini-suggestions"
    assert {t.category for t in loaded.terms} == {"hard"}
    assert "food security" in {t.label for t in loaded.terms}
    assert "# force* matched: force 60, forces 30" in text


def test_unknown_category_and_untallied_lexicon(mini, tmp_path):
    db, lexicon = mini
    known = "known: hard/coerce, hard/security, soft"
    with pytest.raises(ValueError, match=f"no category 'nope'; {known}"):
        suggest(db, lexicon, "nope")
    other = load_lexicon(_write(tmp_path, {"name": "other", "categories": {"a": ["b"]}}))
    with pytest.raises(ValueError, match="never tallied"):
        suggest(db, other)


def _write(tmp_path, data):
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_cli_writes_checkable_yaml(mini, tmp_path):
    db, lexicon = mini
    out = tmp_path / "sug.yaml"
    runner = CliRunner()
    res = runner.invoke(main, ["--db", str(db.path), "suggest", str(lexicon.path),
                               "--category", "hard/security", "-o", str(out)])
    assert res.exit_code == 0, res.output
    check = runner.invoke(main, ["lexicon", "check", str(out)])
    assert check.exit_code == 0 and "ok" in check.output
    bad = runner.invoke(main, ["--db", str(db.path), "suggest", "no-such-lexicon"])
    assert bad.exit_code == 2 and bad.output.startswith("error: ")
    assert len(bad.output.strip().splitlines()) == 1
