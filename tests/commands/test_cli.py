"""Tests for `modelmaker <verb>` dispatch."""

from modelmaker.commands import cli


def test_help_lists_every_verb(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for verb in cli.VERBS:
        assert verb in out


def test_no_verb_prints_usage_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "usage: modelmaker" in capsys.readouterr().out


def test_unknown_verb_suggests(capsys):
    assert cli.main(["trian"]) == 2
    assert "Did you mean `train`" in capsys.readouterr().err


def test_train_help_goes_to_the_train_parser(capsys):
    try:
        cli.main(["train", "--help"])
    except SystemExit as e:
        assert e.code == 0
    assert "--user_module" in capsys.readouterr().out
