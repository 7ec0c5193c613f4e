"""The Camunda 7 examples imported (issue 9): the translation an import makes by itself — a service
or send task, or a message throw, implemented in Java, by a bean, an expression or a connector
becomes an external task — and how many of the 55 files reach deployable with it."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import WuyeError
from engine.usecases.camunda_import import prepare_import
from engine.usecases.deploy import deploy
from tests.support import BPMN_DIR, act

CAMUNDA = sorted(p for p in Path("/work/shared/external/camunda7-examples").glob("*") if p.suffix in (".bpmn", ".dmn"))
JAVA = (BPMN_DIR / "interop" / "java_orders.bpmn").read_text(encoding="utf-8")


def deployable(db, name: str, data: bytes) -> bool:
    try:
        act(db, deploy, files=[(name, data)])
    except WuyeError:
        return False
    return True


@pytest.mark.once
def test_java_implementations_become_external_tasks_each_named(sqlite_db):
    assert not deployable(sqlite_db, "orders.bpmn", JAVA.encode())
    done = act(sqlite_db, prepare_import, as_="process_owner", xml=JAVA, file="orders.bpmn")
    said = {t["element"]: t["message"] for t in done["translations"]}
    assert said["charge"] == ("原由Java 类 org.example.ChargeCard实现，已改为外部任务（topic charge）："
                              "需要一个外部程序领取并完成它")
    assert "连接器 mail-send" in said["mail"] and "${notifier}" in said["done"]
    assert "camunda:class" not in done["xml"] and "resultVariable" not in done["xml"] and "connector" not in done["xml"]
    assert deployable(sqlite_db, "orders.bpmn", done["xml"].encode())


@pytest.mark.once
def test_a_file_with_nothing_to_translate_comes_back_as_it_was(sqlite_db):
    plain = JAVA.replace(' camunda:class="org.example.ChargeCard" camunda:resultVariable="receipt"', "")
    plain = plain.split("<bpmn:sendTask")[0] + "</bpmn:process>\n</bpmn:definitions>\n"
    done = act(sqlite_db, prepare_import, as_="process_owner", xml=plain)
    assert done == {"xml": plain, "translations": []}


@pytest.mark.once
@pytest.mark.skipif(not CAMUNDA, reason="the Camunda 7 examples are not in ../shared/external")
def test_the_translation_takes_the_camunda_examples_from_10_to_39_deployable_files(sqlite_db, tmp_path):
    from tests.support import initialized_sqlite
    as_is_db, translated_db = sqlite_db, initialized_sqlite(tmp_path, "translated.sqlite3")
    as_is = translated = 0
    for f in CAMUNDA:
        data = f.read_bytes()
        as_is += deployable(as_is_db, f.name, data)
        if f.suffix == ".bpmn":
            data = act(translated_db, prepare_import, as_="process_owner", xml=data.decode("utf-8"),
                       file=f.name)["xml"].encode("utf-8")
        translated += deployable(translated_db, f.name, data)
    assert (len(CAMUNDA), as_is, translated) == (55, 10, 39)
