"""The collector is off while any build or load runs, and back on (if it was) when the last ends."""

import gc
import threading

from ciem.gcpause import paused_gc


def test_collector_paused_until_the_last_overlapping_use_ends():
    assert gc.isenabled()
    entered, release = threading.Event(), threading.Event()

    def other_build():
        with paused_gc():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=other_build)
    with paused_gc():
        worker.start()
        entered.wait(5)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other build still runs
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_collector_left_off_if_it_was_off_and_restored_after_an_error():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    try:
        with paused_gc():
            raise ValueError("a failed build")
    except ValueError:
        pass
    assert gc.isenabled()
