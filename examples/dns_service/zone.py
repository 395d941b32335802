"""The DNS side of the example service: endpoints in BIND's dynamic zone, by RFC 2136 UPDATE.

An endpoint serves a plan as its A records plus one TXT record ``"generation=N"``. Every
write is one UPDATE message (one transaction) signed with the TSIG key; a conditional write
carries an RFC 2136 prerequisite on the TXT value, and the server refuses it (NXRRSET) and
changes nothing when the record holds another generation.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsigkeyring
import dns.update

from .bind import ZONE, TsigKey

TTL = 60
_GENERATION = "generation="


def endpoint_label(endpoint: int) -> str:
    """Endpoint 0 is the regional endpoint (the one the outage emptied)."""
    return "regional" if endpoint == 0 else f"endpoint{endpoint}"


@dataclass
class Answer:
    """What a query for an endpoint returned: the response code and the records."""

    rcode: str  # NOERROR, NXDOMAIN, ...
    addresses: list[str]
    generation: int | None

    def describe(self) -> str:
        if self.rcode != "NOERROR":
            return self.rcode
        if not self.addresses:
            return "no A records (empty answer)"
        return "A " + ", ".join(self.addresses)


class Zone:
    """A client of the zone on one server: queries over TCP, signed UPDATEs."""

    def __init__(self, host: str, port: int, key: TsigKey, timeout: float = 3.0):
        self.host = host
        self.port = port
        self.key = key
        self.timeout = timeout
        self.keyring = dns.tsigkeyring.from_text({key.name: key.secret})
        self.origin = dns.name.from_text(ZONE)
        self._socket: socket.socket | None = None

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _exchange(self, message: dns.message.Message) -> dns.message.Message:
        """One request on a kept-open TCP connection (reconnecting once if the server closed it)."""
        for attempt in (1, 2):
            if self._socket is None:
                self._socket = socket.create_connection((self.host, self.port), timeout=self.timeout)
            try:
                return dns.query.tcp(message, self.host, port=self.port, timeout=self.timeout, sock=self._socket)
            except (OSError, EOFError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def fqdn(self, endpoint: int) -> dns.name.Name:
        return dns.name.from_text(endpoint_label(endpoint), self.origin)

    # -- queries
    def _query(self, endpoint: int, rdtype: str) -> dns.message.Message:
        return self._exchange(dns.message.make_query(self.fqdn(endpoint), rdtype))

    @staticmethod
    def _generation_in(reply: dns.message.Message) -> int | None:
        for rrset in reply.answer:
            if rrset.rdtype != dns.rdatatype.TXT:
                continue
            for rdata in rrset:
                text = b"".join(rdata.strings).decode()
                if text.startswith(_GENERATION):
                    return int(text[len(_GENERATION) :])
        return None

    def generation(self, endpoint: int) -> int | None:
        """The plan generation the endpoint's TXT record names (None: no such record)."""
        return self._generation_in(self._query(endpoint, "TXT"))

    def answer(self, endpoint: int) -> Answer:
        """What a resolver asking for the endpoint's addresses (an A query) gets."""
        reply = self._query(endpoint, "A")
        addresses = sorted(rd.address for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset)
        return Answer(dns.rcode.to_text(reply.rcode()), addresses, self.generation(endpoint))

    def records(self, endpoint: int) -> Answer:
        """The endpoint's A and TXT records in one query (ANY, over TCP: BIND answers it in full)."""
        reply = self._query(endpoint, "ANY")
        addresses = sorted(rd.address for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset)
        return Answer(dns.rcode.to_text(reply.rcode()), addresses, self._generation_in(reply))

    # -- updates (each one RFC 2136 transaction)
    def _update(self) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(self.origin, keyring=self.keyring, keyname=dns.name.from_text(self.key.name))

    def _send(self, update: dns.update.UpdateMessage) -> str:
        return dns.rcode.to_text(self._exchange(update).rcode())

    def write(self, endpoint: int, generation: int, addresses: list[str], expect: int | None = None) -> str:
        """Serve ``generation`` at ``endpoint`` in one transaction; with ``expect``, only if the
        TXT record still names generation ``expect`` (an RFC 2136 value-dependent prerequisite).
        Returns the server's response code (NOERROR, or NXRRSET when the prerequisite failed)."""
        update = self._update()
        name = endpoint_label(endpoint)
        if expect is not None:
            update.present(name, "TXT", f'"{_GENERATION}{expect}"')
        if addresses:
            update.replace(name, TTL, "A", *addresses)
        else:  # the plan was deleted before this write: the endpoint serves no addresses
            update.delete(name, "A")
        update.replace(name, TTL, "TXT", f'"{_GENERATION}{generation}"')
        return self._send(update)

    def remove_addresses(self, endpoint: int, generation: int) -> str:
        """Delete the endpoint's A records if it still serves ``generation``: its plan was deleted."""
        update = self._update()
        name = endpoint_label(endpoint)
        update.present(name, "TXT", f'"{_GENERATION}{generation}"')
        update.delete(name, "A")
        return self._send(update)

    def reset(self, endpoints: int, generation: int, addresses: list[str]) -> None:
        """Every endpoint serves ``generation`` and nothing else (the model's initial state)."""
        update = self._update()
        for endpoint in range(endpoints):
            name = endpoint_label(endpoint)
            update.delete(name)
            update.add(name, TTL, "TXT", f'"{_GENERATION}{generation}"')
            for address in addresses:
                update.add(name, TTL, "A", address)
        rcode = self._send(update)
        if rcode != "NOERROR":
            raise RuntimeError(f"resetting the zone failed: {rcode}")
