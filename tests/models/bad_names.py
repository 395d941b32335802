"""Models whose names collide (`tests/test_names.py`): each is refused at model load, at the
line marked ``# BAD-<case>``."""

from __future__ import annotations

from checker import Int, Model, Param, Process, Store, action, invariant, require


class MethodStore(Store):
    channel = Int()

    def channel(self):  # noqa: F811  # BAD-METHOD (replaces the variable in the class body)
        return 0


class MethodVsVar(Model):
    store = MethodStore()

    @invariant
    def fine(sys):
        return True


class Queue(Store):
    channel = Int()  # BAD-COMPONENT


class Channel(Process):
    busy = Int()


class ComponentVsShared(Model):
    queue = Queue()
    channel = Channel()

    @invariant
    def fine(sys):
        return True


class BaseWorker(Process):
    step = Int()  # BAD-ACTION


class StepWorker(BaseWorker):
    @action
    def step(self, sys):
        require(self.step == 0)


class ActionVsVar(Model):
    worker = StepWorker(count=2)


class IdWorker(Process):
    id = Int()  # BAD-ID


class IdVar(Model):
    worker = IdWorker(count=2)


class ParamsStore(Store):
    params = Int()  # BAD-PARAMS


class ParamsVar(Model):
    store = ParamsStore()


class Base(Model):
    size = Param(2)
    store = Queue()


class PropertyHidesParam(Base):
    @invariant  # BAD-HIDDEN-PARAM
    def size(sys):
        return True


class Twice(Model):
    store = Queue()

    @invariant
    def ok(sys):
        return True

    @invariant
    def ok(sys):  # noqa: F811  # BAD-TWICE (the collision under test)
        return sys.channel >= 0


class ParamsComponent(Model):
    params = Queue()  # BAD-SYS-PARAMS


class DeclsStore(Store):
    state_decls = Int()  # BAD-DECLS


class ComponentApi(Model):
    store = DeclsStore()


class NamedWorker(Process):
    name = Int()  # BAD-NAME


class NameVar(Model):
    worker = NamedWorker(count=2)
