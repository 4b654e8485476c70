"""The notebooks' kernel: ipykernel's, with a shutdown that ends at once.

The runner starts its kernels (``python -m ipykernel_launcher``, on Linux and
macOS) with ``--IPKernelApp.kernel_class`` naming :class:`WorkbookKernel`
(:data:`~marketing_utils.runner.kernels.KERNEL_CLASS`).
"""

from __future__ import annotations

import inspect

import ipykernel
from ipykernel.ipkernel import IPythonKernel

#: The command line of the resource trackers of multiprocessing and of joblib's loky.
_RESOURCE_TRACKER = "resource_tracker import main"
#: WorkbookKernel.shutdown_request follows ipykernel 7's.
_SHUTDOWN_AS_IN_7 = int(ipykernel.__version__.split(".")[0]) >= 7


class WorkbookKernel(IPythonKernel):
    """An IPython kernel whose shutdown neither waits for children that end after it nor races.

    At shutdown ipykernel signals its children (SIGTERM, then SIGKILL) and
    waits until it finds none left. After a parallel fit it found some for
    ever: children that have ended and wait for their parent to collect their
    exit status (zombies; loky collects its workers' at exit, after this
    wait), and the resource trackers of multiprocessing and loky, which ignore
    SIGTERM by design and end by themselves when the kernel exits, cleaning up
    what it left (shared memory, semaphores): a SIGKILL would lose that. So
    every such kernel ended only when jupyter_client terminated it after
    2.5 s, 2.5 s per notebook, and without Python's exit handlers. This
    kernel leaves both out; any other child is signalled as before. It also
    stops its threads in an order without the race described in
    :meth:`shutdown_request`.
    """

    async def shutdown_request(self, stream, ident, parent):
        """Handle a shutdown request as ipykernel does, but stop the threads in a safe order.

        ipykernel stops the main thread's loop from within the request; the main
        thread then stops the output thread and joins the control thread, which
        may still be publishing its last status through the output thread: it
        then waited (up to 10 s, in about one shutdown in ten) until
        jupyter_client terminated the kernel. Here the main loop stops only once
        the control thread is done with the request. Written against ipykernel
        7.4's method (the reply, the broadcast and ``_at_shutdown`` as there);
        with ipykernel 6, ipykernel's own method runs.
        """
        if not _SHUTDOWN_AS_IN_7:
            return await super().shutdown_request(stream, ident, parent)
        if not self.session:
            return
        content = self.do_shutdown(parent["content"]["restart"])
        if inspect.isawaitable(content):
            content = await content
        self.session.send(stream, "shutdown_reply", content, parent, ident=ident)
        self._shutdown_message = self.session.msg("shutdown_reply", content, parent)
        await self._at_shutdown()
        loops = [self.io_loop]
        if self.shell_stream and self.shell_stream.io_loop is not self.io_loop:
            loops.append(self.shell_stream.io_loop)
        control_loop = self.control_stream.io_loop if self.control_stream else None
        if control_loop is None or control_loop in loops:
            for loop in loops:
                loop.add_callback(loop.stop)
            return

        def stop_after_this_request() -> None:
            # Runs on the control loop once the request's handling has returned.
            for loop in loops:
                loop.add_callback(loop.stop)
            control_loop.stop()

        control_loop.add_callback(stop_after_this_request)

    def _process_children(self):
        try:
            import psutil
        except ImportError:  # ipykernel then finds no children either
            return []
        waited_for = []
        for child in super()._process_children():
            try:
                if child.status() == psutil.STATUS_ZOMBIE:
                    continue
                if _RESOURCE_TRACKER in " ".join(child.cmdline()):
                    continue
            except psutil.NoSuchProcess:
                continue
            except psutil.Error:  # not allowed to read it: signal it, as ipykernel would
                pass
            waited_for.append(child)
        return waited_for
