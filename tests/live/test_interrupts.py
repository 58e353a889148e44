"""Start-up interrupts: a stop signal is never lost nor fatal while NautilusTrader swaps signal handlers.

Each case runs in a fresh interpreter: like the node's process, it has one thread when start-up begins.
"""

import subprocess
import sys
import textwrap

SIGNAL_DURING_HANDLER_SWAP = """
    import os, signal, threading, time
    from nautilus_node.live.interrupts import Interrupted, StartupInterrupts

    lost = []
    try:
        with StartupInterrupts() as interrupts:
            with interrupts.held():
                worker = threading.Thread(target=time.sleep, args=(2,))  # an import starting a thread
                worker.start()
                signal.signal(signal.SIGTERM, lambda *_: lost.append("SIGTERM"))  # a handler swap
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
            print("not interrupted")
    except Interrupted as exc:
        print(f"interrupted: {exc}; lost: {lost}")
"""

DEADLINE = """
    import time
    from nautilus_node.live.interrupts import Interrupted, StartupInterrupts

    started = time.monotonic()
    try:
        with StartupInterrupts() as interrupts:
            interrupts.arm_deadline(0.2)
            time.sleep(5)
    except Interrupted as exc:
        print(f"interrupted: {exc} after {time.monotonic() - started:.1f} s")
"""

HANDLERS_RESTORED = """
    import signal
    from nautilus_node.live.interrupts import StartupInterrupts

    watched = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)
    before = [signal.getsignal(sig) for sig in watched]
    with StartupInterrupts() as interrupts, interrupts.held():
        interrupts.arm_deadline(30)
    print([signal.getsignal(sig) for sig in watched] == before, signal.getitimer(signal.ITIMER_REAL))
    print(signal.pthread_sigmask(signal.SIG_BLOCK, []))
"""


def run_python(source: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_signal_during_a_handler_swap_is_neither_lost_nor_fatal() -> None:
    assert run_python(SIGNAL_DURING_HANDLER_SWAP) == "interrupted: received SIGTERM; lost: []"


def test_the_deadline_interrupts_a_blocking_call() -> None:
    output = run_python(DEADLINE)
    assert output.startswith("interrupted: start-up did not finish within 0.2 s after "), output
    assert float(output.split()[-2]) < 4, "the 5 s blocking call was cut short"  # however busy the machine


def test_handlers_timer_and_signal_mask_come_back_afterwards() -> None:
    assert run_python(HANDLERS_RESTORED).splitlines() == ["True (0.0, 0.0)", "set()"]
