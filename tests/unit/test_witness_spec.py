"""The test witness (tests/support/witness.py) against inputs built here by hand from the specs.

The Merkle tree, the consistency proofs and the log's signed notes are made in this file with
hashlib and `cryptography`, from RFC 6962 section 2.1 and c2sp.org/signed-note, so that the
witness is checked against a third reading of the specifications, not against itself."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import shutil
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.support.witness import (
    SpecError,
    Witness,
    WitnessServer,
    cosignature_message,
    serving,
    verify_consistency,
    verify_cosignature,
    verify_cosigned_checkpoint,
)

ORIGIN = "example.test/log"
WITNESS_NAME = "witness.example/w1"
NOW = 1_700_000_000

# --- RFC 6962 section 2.1, written out here -----------------------------------------------------


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: list[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return leaf(entries[0])
    k = split(len(entries))
    return node(mth(entries[:k]), mth(entries[k:]))


def subproof(m: int, entries: list[bytes], complete: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if complete else [mth(entries)]
    k = split(n)
    if m <= k:
        return [*subproof(m, entries[:k], complete), mth(entries[k:])]
    return [*subproof(m - k, entries[k:], False), mth(entries[:k])]


def consistency_proof(m: int, entries: list[bytes]) -> list[bytes]:
    """RFC 6962 2.1.2: PROOF(m, D[n]) = SUBPROOF(m, D[n], true), empty for m == 0."""
    return [] if m == 0 else subproof(m, entries, True)


ENTRIES = [f"event {i}".encode() for i in range(40)]

# --- c2sp.org/signed-note, written out here -----------------------------------------------------


def raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def note_key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def vkey_of(name: str, kind: int, public: bytes) -> str:
    kid = note_key_id(name, kind, public)
    return f"{name}+{kid.hex()}+{base64.b64encode(bytes([kind]) + public).decode()}"


class Log:
    """A log that signs checkpoints over ENTRIES[:size] with an Ed25519 note key (type 0x01)."""

    def __init__(self, origin: str = ORIGIN) -> None:
        self.origin = origin
        self.key = Ed25519PrivateKey.generate()
        self.vkey = vkey_of(origin, 0x01, raw(self.key.public_key()))

    def text(self, size: int, root: bytes | None = None) -> str:
        root = mth(ENTRIES[:size]) if root is None else root
        return f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\n"

    def sign(self, text: str) -> str:
        kid = note_key_id(self.origin, 0x01, raw(self.key.public_key()))
        sig = base64.b64encode(kid + self.key.sign(text.encode())).decode()
        return f"{text}\n\u2014 {self.origin} {sig}\n"

    def checkpoint(self, size: int, root: bytes | None = None) -> str:
        return self.sign(self.text(size, root))


def request_body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}\n", *(base64.b64encode(h).decode() + "\n" for h in proof)]
    return ("".join(lines) + "\n" + note).encode()


def growth(log: Log, old: int, new: int) -> bytes:
    return request_body(old, consistency_proof(old, ENTRIES[:new]), log.checkpoint(new))


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def witness(log: Log) -> Witness:
    return Witness(WITNESS_NAME, logs={log.origin: log.vkey}, clock=lambda: NOW)


@pytest.fixture
def server(witness: Witness) -> Iterator[WitnessServer]:
    yield from serving(witness)


def call(server: WitnessServer, method: str, path: str, body: bytes | None) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read().decode()
    finally:
        conn.close()


def post(server: WitnessServer, body: bytes) -> tuple[int, str, str]:
    return call(server, "POST", "/add-checkpoint", body)


# --- the Merkle tree and RFC 9162 verification --------------------------------------------------


def test_consistency_proofs_match_the_c2sp_merkle_tree_example() -> None:
    # c2sp.org/merkle-tree, "Example": a 7-entry tree; from size 3 to 7: [c, d, h, l]; from 4 to
    # 7: [l]; from 6 to 7: [j, g, k].
    d = [bytes([i]) for i in range(7)]
    a, b, c, dd, e, f, g = (leaf(x) for x in d)
    h, i, j = node(a, b), node(c, dd), node(e, f)
    k, ll = node(h, i), node(j, g)
    root = node(k, ll)
    assert mth(d) == root
    assert consistency_proof(3, d) == [c, dd, h, ll]
    assert consistency_proof(4, d) == [ll]
    assert consistency_proof(6, d) == [j, g, k]
    assert verify_consistency(3, 7, mth(d[:3]), root, [c, dd, h, ll])
    assert verify_consistency(4, 7, k, root, [ll])
    assert verify_consistency(6, 7, mth(d[:6]), root, [j, g, k])


def test_every_proof_up_to_40_verifies_and_every_altered_one_fails() -> None:
    for n in range(1, 41):
        for m in range(1, n):
            proof = consistency_proof(m, ENTRIES[:n])
            r1, r2 = mth(ENTRIES[:m]), mth(ENTRIES[:n])
            assert verify_consistency(m, n, r1, r2, proof), (m, n)
            assert not verify_consistency(m, n, r1, leaf(b"x"), proof)
            assert not verify_consistency(m, n, leaf(b"x"), r2, proof)
            assert not verify_consistency(m, n, r1, r2, [*proof, r1])
            for at in range(len(proof)):
                bad = list(proof)
                bad[at] = leaf(b"tampered")
                assert not verify_consistency(m, n, r1, r2, bad), (m, n, at)
            if proof:
                assert not verify_consistency(m, n, r1, r2, proof[:-1])


def test_consistency_edge_cases() -> None:
    r = mth(ENTRIES[:5])
    assert verify_consistency(5, 5, r, r, [])
    assert not verify_consistency(5, 5, r, mth(ENTRIES[:4]), [])
    assert not verify_consistency(5, 5, r, r, [r])
    assert verify_consistency(0, 5, b"", r, [])
    assert not verify_consistency(0, 5, b"", r, [r])
    assert not verify_consistency(6, 5, r, r, [])
    assert not verify_consistency(3, 5, mth(ENTRIES[:3]), r, [])


# --- identity ------------------------------------------------------------------------------------


def test_the_witness_vkey_is_type_0x04_with_the_signed_note_key_id(witness: Witness) -> None:
    public = raw(witness.private_key.public_key())
    name, kid, material = witness.vkey.split("+", 2)
    assert name == WITNESS_NAME
    expected = hashlib.sha256(WITNESS_NAME.encode() + b"\n\x04" + public).digest()[:4]
    assert kid == expected.hex()
    assert base64.b64decode(material) == b"\x04" + public
    assert witness.vkey == vkey_of(WITNESS_NAME, 0x04, public)


def test_a_log_vkey_with_a_wrong_key_id_or_type_is_refused(log: Log) -> None:
    name, _, material = log.vkey.split("+", 2)
    with pytest.raises(SpecError):
        Witness(WITNESS_NAME, logs={ORIGIN: f"{name}+00000000+{material}"})
    public = raw(log.key.public_key())
    with pytest.raises(SpecError):
        Witness(WITNESS_NAME, logs={ORIGIN: vkey_of(ORIGIN, 0x04, public)})


# --- add-checkpoint over HTTP -------------------------------------------------------------------


def cosignature_by_hand(witness: Witness, text: str, line: str) -> int:
    """Check a cosignature line with nothing but the spec's byte layout and Ed25519."""
    prefix = f"\u2014 {WITNESS_NAME} "
    assert line.startswith(prefix)
    assert line.endswith("\n")
    blob = base64.b64decode(line[len(prefix) : -1])
    assert len(blob) == 4 + 8 + 64
    public = raw(witness.private_key.public_key())
    assert blob[:4] == hashlib.sha256(WITNESS_NAME.encode() + b"\n\x04" + public).digest()[:4]
    (timestamp,) = struct.unpack(">Q", blob[4:12])
    message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], message)
    return timestamp


def test_first_checkpoint_with_old_0_is_cosigned(server: WitnessServer, log: Log) -> None:
    status, ctype, body = post(server, request_body(0, [], log.checkpoint(5)))
    assert status == 200, body
    assert ctype.startswith("text/plain")
    assert body.startswith("\u2014 ")
    assert body.count("\n") == 1
    assert cosignature_by_hand(server.witness, log.text(5), body) == NOW
    assert verify_cosignature(log.text(5), body, server.witness.vkey) == NOW
    assert server.witness.latest(ORIGIN) == (5, mth(ENTRIES[:5]))
    # The response concatenated to the checkpoint is a note a client verifies (tlog-witness).
    cosigned = log.checkpoint(5) + body
    assert verify_cosigned_checkpoint(cosigned, [log.vkey], [server.witness.vkey]) == {
        server.witness.vkey: NOW
    }


def test_growth_with_a_valid_consistency_proof_is_cosigned(server: WitnessServer, log: Log) -> None:
    assert post(server, growth(log, 0, 5))[0] == 200
    for old, new in [(5, 8), (8, 13), (13, 16), (16, 17), (17, 40)]:
        status, _, body = post(server, growth(log, old, new))
        assert status == 200, (old, new, body)
        assert verify_cosignature(log.text(new), body, server.witness.vkey) == NOW
    assert server.witness.latest(ORIGIN) == (40, mth(ENTRIES))


def test_a_wrong_old_size_is_409_with_the_latest_size(server: WitnessServer, log: Log) -> None:
    assert post(server, growth(log, 0, 8))[0] == 200
    assert post(server, growth(log, 5, 13)) == (409, "text/x.tlog.size", "8\n")
    assert post(server, growth(log, 0, 13)) == (409, "text/x.tlog.size", "8\n")
    fresh = Log("example.test/other")
    server.witness.add_log(fresh.origin, fresh.vkey)
    assert post(server, growth(fresh, 3, 13)) == (409, "text/x.tlog.size", "0\n")


def test_a_bad_consistency_proof_is_422_and_not_recorded(server: WitnessServer, log: Log) -> None:
    assert post(server, growth(log, 0, 6))[0] == 200
    proof = consistency_proof(6, ENTRIES[:11])
    proof[0] = leaf(b"forged")
    assert post(server, request_body(6, proof, log.checkpoint(11)))[0] == 422
    # A checkpoint over other entries: the honest proof for 6 -> 11 does not link it.
    forked = ENTRIES[:6] + [b"fork"] * 5
    note = log.checkpoint(11, mth(forked))
    assert post(server, request_body(6, consistency_proof(6, ENTRIES[:11]), note))[0] == 422
    assert post(server, request_body(6, [], log.checkpoint(11)))[0] == 422
    assert server.witness.latest(ORIGIN) == (6, mth(ENTRIES[:6]))
    # A proof from size zero MUST be empty.
    other = Log("example.test/other")
    server.witness.add_log(other.origin, other.vkey)
    assert post(server, request_body(0, [leaf(b"x")], other.checkpoint(4)))[0] == 422


def test_an_unknown_origin_is_404(server: WitnessServer) -> None:
    stranger = Log("example.test/stranger")
    assert post(server, growth(stranger, 0, 3))[0] == 404


def test_a_bad_log_signature_is_403(server: WitnessServer, log: Log) -> None:
    note = log.checkpoint(4)
    text, sig_line = note.split("\n\n")
    sig = base64.b64decode(sig_line.split(" ")[2])
    broken = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
    forged = f"{text}\n\n\u2014 {ORIGIN} {base64.b64encode(broken).decode()}\n"
    assert post(server, request_body(0, [], forged))[0] == 403
    # Signed only by an unknown key under the origin's name: ignored, so no trusted signature.
    impostor = Log()
    assert post(server, request_body(0, [], impostor.checkpoint(4)))[0] == 403
    # The same text with a trusted signature and an unknown one beside it is accepted.
    both = log.checkpoint(4) + impostor.checkpoint(4).split("\n\n")[1]
    assert post(server, request_body(0, [], both))[0] == 200


def test_an_altered_checkpoint_text_is_403(server: WitnessServer, log: Log) -> None:
    signed = log.checkpoint(4)
    altered = signed.replace("\n4\n", "\n5\n", 1)
    assert post(server, request_body(0, [], altered))[0] == 403


def test_a_size_going_backwards_is_400(server: WitnessServer, log: Log) -> None:
    assert post(server, growth(log, 0, 10))[0] == 200
    assert post(server, request_body(10, [], log.checkpoint(7)))[0] == 400
    assert server.witness.latest(ORIGIN) == (10, mth(ENTRIES[:10]))


def test_the_same_size_needs_the_same_root(server: WitnessServer, log: Log) -> None:
    assert post(server, growth(log, 0, 10))[0] == 200
    other_root = mth([b"other"] * 10)
    assert post(server, request_body(10, [], log.checkpoint(10, other_root))) == (
        409,
        "text/x.tlog.size",
        "10\n",
    )
    status, _, body = post(server, request_body(10, [], log.checkpoint(10)))
    assert status == 200
    assert verify_cosignature(log.text(10), body, server.witness.vkey) == NOW


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 0\n",
        b"old 00\n\n",
        b"old -1\n\n",
        b"Old 0\n\n",
        b"old 0\nnot base64!\n\n",
        b"old 0\nAAAA\n\n",
        b"\xff\xfe",
    ],
)
def test_malformed_requests_are_400(server: WitnessServer, log: Log, body: bytes) -> None:
    if body.endswith(b"\n\n"):
        body += log.checkpoint(3).encode()
    assert post(server, body)[0] == 400


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n03\n{base64.b64encode(mth(ENTRIES[:3])).decode()}\n",
        f"{ORIGIN}\n3\n{base64.b64encode(b'short').decode()}\n",
        f"{ORIGIN}\n3\n",
        f"{ORIGIN}\n3\n{base64.b64encode(mth(ENTRIES[:3])).decode()}\n\nextension\n",
        f"{ORIGIN}\n3\n{base64.b64encode(mth(ENTRIES[:3])).decode()}\textra\n",
    ],
)
def test_malformed_checkpoints_are_400(server: WitnessServer, log: Log, text: str) -> None:
    assert post(server, request_body(0, [], log.sign(text)))[0] == 400


def test_more_than_63_proof_lines_are_400(server: WitnessServer, log: Log) -> None:
    assert post(server, request_body(0, [leaf(b"x")] * 64, log.checkpoint(3)))[0] == 400


def test_extension_lines_are_cosigned_with_the_rest(server: WitnessServer, log: Log) -> None:
    text = log.text(3) + "an extension\n"
    status, _, body = post(server, request_body(0, [], log.sign(text)))
    assert status == 200
    assert verify_cosignature(text, body, server.witness.vkey) == NOW
    with pytest.raises(SpecError):
        verify_cosignature(log.text(3), body, server.witness.vkey)


def test_other_methods_and_paths(server: WitnessServer) -> None:
    # tlog-witness: "The request MUST be an HTTP POST."
    assert call(server, "GET", "/add-checkpoint", None)[0] == 405
    assert call(server, "POST", "/x", b"")[0] == 404


# --- the harness: down, counts, persistence, concurrency ----------------------------------------


def test_down_refuses_then_503_then_up_again(server: WitnessServer, log: Log) -> None:
    assert post(server, growth(log, 0, 3))[0] == 200
    port = server.port
    server.down()
    with pytest.raises(ConnectionRefusedError):
        post(server, growth(log, 3, 5))
    server.up()
    assert server.port == port
    server.down(mode="503")
    assert post(server, growth(log, 3, 5))[0] == 503
    server.up()
    assert post(server, growth(log, 3, 5))[0] == 200
    assert server.witness.submission_count == 3
    assert [s.status for s in server.witness.submissions] == [200, 503, 200]
    assert server.witness.submissions[-1].old == 3
    assert server.witness.submissions[-1].size == 5


def test_the_record_persists_in_a_json_file(tmp_path: Path, log: Log) -> None:
    state = tmp_path / "witness.json"
    key = Ed25519PrivateKey.generate()
    first = Witness(WITNESS_NAME, {ORIGIN: log.vkey}, private_key=key, state_path=state)
    assert first.add_checkpoint(growth(log, 0, 9))[0] == 200
    assert json.loads(state.read_text())[ORIGIN]["size"] == 9
    again = Witness(WITNESS_NAME, {ORIGIN: log.vkey}, private_key=key, state_path=state)
    assert again.latest(ORIGIN) == (9, mth(ENTRIES[:9]))
    assert again.add_checkpoint(growth(log, 0, 12))[:3] == (409, "text/x.tlog.size", "9\n")


def test_concurrent_submissions_from_one_size_cosign_exactly_one(
    server: WitnessServer, log: Log
) -> None:
    assert post(server, growth(log, 0, 4))[0] == 200
    results: list[int] = []
    bodies = [growth(log, 4, new) for new in range(5, 25)]

    def submit(body: bytes) -> None:
        results.append(post(server, body)[0])

    threads = [threading.Thread(target=submit, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * (len(bodies) - 1)
    size, _ = server.witness.latest(ORIGIN) or (0, b"")
    assert size in range(5, 25)


# --- the spec's own example ----------------------------------------------------------------------


def test_the_spec_example_cosignature_has_the_timestamped_layout() -> None:
    # tlog-cosignature's example cosignature line and its example signed message ("time
    # 1679315147"); the spec gives no public key for it, so only the byte layout can be checked:
    # 4-byte key ID, big-endian u64 timestamp, 64-byte Ed25519 signature.
    line = (
        "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5"
        "nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    blob = base64.b64decode(line)
    assert len(blob) == 4 + 8 + 64
    assert struct.unpack(">Q", blob[4:12])[0] == 1679315147


def test_verify_cosignature_rejects_other_keys_and_texts(server: WitnessServer, log: Log) -> None:
    _, _, body = post(server, growth(log, 0, 3))
    other = Witness("witness.example/w2")
    with pytest.raises(SpecError):
        verify_cosignature(log.text(3), body, other.vkey)
    with pytest.raises(SpecError):
        verify_cosignature(log.text(4), body, server.witness.vkey)
    same_name = Witness(WITNESS_NAME)
    with pytest.raises(SpecError):
        verify_cosignature(log.text(3), body, same_name.vkey)


# --- an outside implementation: Go's golang.org/x/mod/sumdb/note ---------------------------------
#
# No implementation of tlog-cosignature v1 by others is reachable here (the Debian-packaged Go
# note package, x/mod v0.7.0, knows only signature type 0x01). It does check the log side: the
# signed-note signing and vkeys written in this file, and that a note with the witness's line
# appended still opens (the cosignature ignored as from an unknown key). And its Ed25519 (Go's
# crypto/ed25519) checks the cosignature's signature bytes over the message the spec lays out,
# presented as the text of a type 0x01 note under a key of the witness's public key.

GO_PATH = Path("/usr/share/gocode")
GO_NOTE_PACKAGE = GO_PATH / "src/golang.org/x/mod/sumdb/note"
# Reads a signed note on stdin and opens it with golang.org/x/mod/sumdb/note, trusting the vkeys
# given as arguments. Prints one line per verified signature, "name hash", then "unverified N";
# exits 1 with the error if the note does not open.
GO_NOTE_CHECK = r"""package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	var verifiers []note.Verifier
	for _, vkey := range os.Args[1:] {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			fmt.Println("vkey:", err)
			os.Exit(1)
		}
		verifiers = append(verifiers, v)
	}
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for _, sig := range n.Sigs {
		fmt.Printf("%s %08x\n", sig.Name, sig.Hash)
	}
	fmt.Printf("unverified %d\n", len(n.UnverifiedSigs))
}
"""


@pytest.fixture(scope="module")
def go_note(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[int, str]]:
    go = shutil.which("go")
    if go is None or not GO_NOTE_PACKAGE.is_dir():
        pytest.skip("Go and the golang.org/x/mod/sumdb/note package (golang-golang-x-mod-dev)")
    work = tmp_path_factory.mktemp("gonote")
    (work / "main.go").write_text(GO_NOTE_CHECK)
    env = {
        "PATH": str(Path(go).parent),
        "HOME": str(work),
        "GO111MODULE": "off",
        "GOPATH": str(GO_PATH),
        "GOCACHE": str(work / "cache"),
    }
    built = subprocess.run(
        [go, "build", "-o", str(work / "notecheck"), "main.go"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if built.returncode != 0:
        pytest.skip(f"the Go note check does not build: {built.stderr}")

    def run(note: str, *vkeys: str) -> tuple[int, str]:
        done = subprocess.run(
            [str(work / "notecheck"), *vkeys],
            input=note,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.returncode, done.stdout

    return run


def test_go_note_opens_the_hand_signed_checkpoints(
    go_note: Callable[..., tuple[int, str]], server: WitnessServer, log: Log
) -> None:
    kid = log.vkey.split("+", 2)[1]
    assert go_note(log.checkpoint(5), log.vkey) == (0, f"{ORIGIN} {kid}\nunverified 0\n")
    status, _, line = post(server, growth(log, 0, 5))
    assert status == 200
    assert go_note(log.checkpoint(5) + line, log.vkey) == (0, f"{ORIGIN} {kid}\nunverified 1\n")
    assert go_note(log.checkpoint(5).replace("\n5\n", "\n6\n"), log.vkey)[0] == 1
    assert go_note(log.checkpoint(5), Log().vkey)[0] == 1


def test_go_ed25519_accepts_the_cosignature_over_the_spec_message(
    go_note: Callable[..., tuple[int, str]], server: WitnessServer, log: Log
) -> None:
    status, _, line = post(server, growth(log, 0, 7))
    assert status == 200
    blob = base64.b64decode(line.split(" ")[2])
    timestamp, signature = struct.unpack(">Q", blob[4:12])[0], blob[12:]
    public = raw(server.witness.private_key.public_key())
    message = cosignature_message(log.text(7), timestamp).decode()
    assert message == f"cosignature/v1\ntime {NOW}\n{log.text(7)}"
    as_ed25519 = vkey_of(WITNESS_NAME, 0x01, public)
    kid = note_key_id(WITNESS_NAME, 0x01, public)
    wrapped = f"{message}\n\u2014 {WITNESS_NAME} {base64.b64encode(kid + signature).decode()}\n"
    assert go_note(wrapped, as_ed25519) == (0, f"{WITNESS_NAME} {kid.hex()}\nunverified 0\n")
    assert go_note(wrapped.replace(f"time {NOW}", f"time {NOW + 1}"), as_ed25519)[0] == 1
