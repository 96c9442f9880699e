"""The C2SP formats of the transparency log: the specifications' own examples, Go's sumdb example
(whose keys are published), round trips, and notes that must be refused."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from licensing.domain.notes import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    NoteRefused,
    TlogProof,
    Verified,
    Verifier,
    checkpoint_body,
    cosignature_line,
    cosigner_vkey,
    format_tlog_proof,
    inclusion_path_length,
    key_id,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_tlog_proof,
    parse_vkey,
    sign,
    signature_line,
    verify_cosignature,
    vkey,
)

# golang.org/x/mod/sumdb/note's documented example: a key pair, a text and its signed note.
GO_SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n"
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501
)  # fmt: skip

# c2sp.org/signed-note's example (the specification publishes no key for it).
SPEC_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"  # noqa: E501
)  # fmt: skip

# c2sp.org/tlog-checkpoint's example, and tlog-cosignature's with a witness's cosignature.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LOG_LINE = "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"  # fmt: skip # noqa: E501
SPEC_WITNESS_LINE = "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"  # fmt: skip # noqa: E501
SPEC_COSIGNED_NOTE = SPEC_BODY + "\n" + SPEC_LOG_LINE + SPEC_WITNESS_LINE
SPEC_COSIGNED_MESSAGE = (
    "cosignature/v1\ntime 1679315147\n"
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

ORIGIN = "registry.example/licensing"
ROOT = hashlib.sha256(b"root").digest()


def go_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(GO_SKEY_SEED)


def verifier_of(name: str, private: Ed25519PrivateKey) -> Verifier:
    return parse_vkey(vkey(name, private.public_key()))


def cosigner_of(name: str, private: Ed25519PrivateKey) -> Verifier:
    return parse_vkey(cosigner_vkey(name, private.public_key()))


def a_verifier_posing_as(line: str) -> Verifier:
    """A verifier with the name and key id of a signature line, but a key of its own."""
    name, encoded = line.removeprefix("— ").split(" ")
    raw = base64.b64decode(encoded)
    public = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return Verifier(name, raw[:4], ALG_ED25519, public)


# --- keys -----------------------------------------------------------------------------------------


def test_the_go_example_key_gives_the_go_example_vkey() -> None:
    assert vkey("PeterNeumann", go_key().public_key()) == GO_VKEY
    assert key_id("PeterNeumann", ALG_ED25519, go_key().public_key().public_bytes_raw()) == (
        bytes.fromhex("c74f20a3")
    )


def test_a_vkey_is_parsed_into_its_verifier() -> None:
    verifier = parse_vkey(GO_VKEY)
    assert verifier == Verifier(
        "PeterNeumann",
        bytes.fromhex("c74f20a3"),
        ALG_ED25519,
        go_key().public_key().public_bytes_raw(),
    )


def test_a_cosigner_vkey_has_signature_type_4_and_its_own_key_id() -> None:
    private = Ed25519PrivateKey.generate()
    verifier = cosigner_of("witness.example/w", private)
    public = private.public_key().public_bytes_raw()
    assert verifier.algorithm == ALG_COSIGNATURE_V1
    assert verifier.key_id == hashlib.sha256(b"witness.example/w\n\x04" + public).digest()[:4]
    assert verifier.key_id != verifier_of("witness.example/w", private).key_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 7 hex digits
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # truncated
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # type 0x02
    ],
)
def test_a_malformed_vkey_is_refused(text: str) -> None:
    with pytest.raises(NoteRefused):
        parse_vkey(text)


def test_a_vkey_of_an_unknown_signature_type_is_refused() -> None:
    public = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    kid = key_id("n", 0x02, public).hex()
    with pytest.raises(NoteRefused, match="0x01 or 0x04"):
        parse_vkey(f"n+{kid}+" + base64.b64encode(b"\x02" + public).decode())


# --- signed notes ---------------------------------------------------------------------------------


def test_signing_the_go_example_text_gives_the_go_example_note_byte_for_byte() -> None:
    assert sign(GO_TEXT, "PeterNeumann", go_key()) == GO_NOTE
    assert signature_line(GO_TEXT, "PeterNeumann", go_key()) == GO_NOTE.split("\n\n")[1]


def test_the_go_example_note_opens_with_its_vkey() -> None:
    opened = open_note(GO_NOTE, [parse_vkey(GO_VKEY)])
    assert opened.text == GO_TEXT
    assert opened.verified == [Verified(parse_vkey(GO_VKEY), None)]
    assert opened.unknown == []


def test_the_signed_note_example_splits_at_its_last_blank_line_and_its_key_is_unknown() -> None:
    known = verifier_of("quasimodo.example/salvatore", Ed25519PrivateKey.generate())
    with pytest.raises(NoteRefused, match="no signature on the note is by a known key"):
        open_note(SPEC_NOTE, [known])
    # with a second, known, signature the note opens, and the example's line is kept aside
    text = SPEC_NOTE.rsplit("\n\n", 1)[0] + "\n"
    assert text.endswith("ed è subito sera.\n") and "\n\n" in text
    private = Ed25519PrivateKey.generate()
    note = SPEC_NOTE + signature_line(text, "me.example", private)
    opened = open_note(note, [known, verifier_of("me.example", private)])
    assert opened.text == text
    assert opened.unknown == [SPEC_NOTE.rsplit("\n\n", 1)[1]]


def test_a_signature_by_a_known_name_and_key_id_that_does_not_hold_refuses_the_note() -> None:
    with pytest.raises(NoteRefused, match="does not hold"):
        open_note(SPEC_NOTE, [a_verifier_posing_as(SPEC_NOTE.rsplit("\n\n", 1)[1][:-1])])


def test_a_signature_by_a_known_key_that_fails_refuses_the_note_even_beside_a_good_one() -> None:
    private, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = sign(GO_TEXT, "a.example", private)
    forged = signature_line("something else\n", "b.example", other)
    with pytest.raises(NoteRefused, match="b\\.example"):
        open_note(
            note + forged, [verifier_of("a.example", private), verifier_of("b.example", other)]
        )


def test_a_note_re_signed_by_another_key_under_the_same_name_is_not_trusted() -> None:
    ours, theirs = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = sign(GO_TEXT, ORIGIN, theirs)
    with pytest.raises(NoteRefused, match="known key"):
        open_note(note, [verifier_of(ORIGIN, ours)])


def test_a_changed_text_refuses_the_note() -> None:
    tampered = GO_NOTE.replace("problem,", "problem;", 1)
    with pytest.raises(NoteRefused, match="does not hold"):
        open_note(tampered, [parse_vkey(GO_VKEY)])


def test_sixteen_signatures_are_accepted_and_a_hundred_and_one_refused() -> None:
    private = Ed25519PrivateKey.generate()
    note = sign(GO_TEXT, "a.example", private)
    others = [signature_line(GO_TEXT, f"w{i}.example", private) for i in range(100)]
    opened = open_note(note + "".join(others[:15]), [verifier_of("a.example", private)])
    assert len(opened.unknown) == 15
    with pytest.raises(NoteRefused, match="at most 100"):
        open_note(note + "".join(others), [verifier_of("a.example", private)])


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (GO_NOTE[:-1], "newline"),  # truncated: the last line lost its newline
        (GO_NOTE[:-30] + "\n", "base64"),  # truncated inside the signature
        (GO_TEXT, "blank line"),  # no signatures at all
        (GO_TEXT + "\n", "newline"),
        (GO_NOTE + "\n", "newline"),  # a blank line after the signatures
        (GO_NOTE.replace("— ", "- "), "em dash"),
        (GO_NOTE.replace("— ", "—  "), "key name"),
        (GO_NOTE.replace("— ", "—"), "em dash"),
        (GO_NOTE.replace("PeterNeumann ", "Peter+Neumann "), "plus"),
        (GO_NOTE.replace("PeterNeumann ", "PeterNeumann\u00a0x "), "space"),
        (GO_NOTE.replace("=\n", "\n"), "base64"),
        (GO_NOTE.replace("\n— ", "\n— PeterNeumann AAAAAA==\n— "), "4-byte key id"),
        (GO_NOTE.replace("problem,", "problem,\r"), "control character"),
        (GO_NOTE.replace("problem,", "problem,\t"), "control character"),
        (GO_NOTE.replace("\n\n", "\n\n\n"), "does not hold"),  # an extra blank line
        (GO_NOTE.encode()[:-10] + b"\xff\n", "UTF-8"),
        ("caf\udce9\n\n— x AAAAAAA=\n", "UTF-8"),
    ],
)
def test_a_malformed_note_is_refused(note: str | bytes, reason: str) -> None:
    with pytest.raises(NoteRefused, match=reason):
        open_note(note, [parse_vkey(GO_VKEY)])


def test_a_note_given_as_utf8_bytes_opens_like_its_text() -> None:
    assert open_note(GO_NOTE.encode(), [parse_vkey(GO_VKEY)]).text == GO_TEXT


@pytest.mark.parametrize("text", ["", "no final newline", "tab\there\n", "é\r\n"])
def test_a_text_the_format_cannot_carry_is_not_signed(text: str) -> None:
    with pytest.raises(NoteRefused):
        sign(text, "a.example", Ed25519PrivateKey.generate())


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u2003b", "a\nb"])
def test_a_key_name_with_spaces_or_plus_is_not_signed_under(name: str) -> None:
    with pytest.raises(NoteRefused):
        sign(GO_TEXT, name, Ed25519PrivateKey.generate())


note_text = st.lists(
    st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), max_size=40),
    min_size=1,
    max_size=6,
).map(lambda lines: "".join(line + "\n" for line in lines))


@given(text=note_text)
def test_any_text_signed_opens_to_itself(text: str) -> None:
    private = Ed25519PrivateKey.generate()
    opened = open_note(sign(text, ORIGIN, private), [verifier_of(ORIGIN, private)])
    assert opened.text == text


# --- checkpoints ----------------------------------------------------------------------------------


def test_the_checkpoint_example_is_read_and_written_back_unchanged() -> None:
    checkpoint = parse_checkpoint(SPEC_BODY)
    assert checkpoint == Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    assert checkpoint_body(checkpoint) == SPEC_BODY


def test_an_empty_tree_has_size_zero() -> None:
    assert parse_checkpoint(f"{ORIGIN}\n0\n{base64.b64encode(ROOT).decode()}\n").size == 0


def test_extension_lines_are_kept_in_order() -> None:
    checkpoint = Checkpoint(ORIGIN, 3, ROOT, ("ext one", "ext two"))
    assert parse_checkpoint(checkpoint_body(checkpoint)) == checkpoint


@given(
    origin=st.text(st.characters(min_codepoint=0x21, exclude_categories=("Cs",)), min_size=1),
    size=st.integers(0, 2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
)
def test_any_checkpoint_round_trips(origin: str, size: int, root: bytes) -> None:
    checkpoint = Checkpoint(origin, size, root)
    assert parse_checkpoint(checkpoint_body(checkpoint)) == checkpoint


R = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n5\n{R}",  # no final newline
        f"{ORIGIN}\n5\n",
        f"\n5\n{R}\n",  # empty origin
        f"{ORIGIN}\n05\n{R}\n",
        f"{ORIGIN}\n00\n{R}\n",
        f"{ORIGIN}\n+5\n{R}\n",
        f"{ORIGIN}\n-1\n{R}\n",
        f"{ORIGIN}\n 5\n{R}\n",
        f"{ORIGIN}\n5 \n{R}\n",
        f"{ORIGIN}\n٥\n{R}\n",  # an Arabic-Indic five
        f"{ORIGIN}\n1_000\n{R}\n",
        f"{ORIGIN}\n{2**63}\n{R}\n",
        f"{ORIGIN}\n{'9' * 5000}\n{R}\n",
        f"{ORIGIN}\n{R}\n5\n",  # reordered lines
        f"5\n{ORIGIN}\n{R}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(ROOT + b'x').decode()}\n",
        f"{ORIGIN}\n5\n{R.rstrip('=')}\n",
        f"{ORIGIN}\n5\n" + base64.urlsafe_b64encode(b"\xff" * 32).decode() + "\n",
        f"{ORIGIN}\n5\n{R}\n\n",  # an empty extension line
        f"{ORIGIN}\n5\n{R}\next\n\n",
        f"{ORIGIN}\n\n5\n{R}\n",  # an extra blank line
        f"{ORIGIN}\r\n5\n{R}\n",
        f"{ORIGIN}\n5\n{R}\n".encode() + b"\x80\n",
    ],
)
def test_a_malformed_checkpoint_is_refused(text: str | bytes) -> None:
    with pytest.raises(NoteRefused):
        parse_checkpoint(text)


def test_a_checkpoint_that_cannot_be_written_is_refused() -> None:
    with pytest.raises(NoteRefused):
        checkpoint_body(Checkpoint(ORIGIN, 5, ROOT[:31]))
    with pytest.raises(NoteRefused):
        checkpoint_body(Checkpoint("two\nlines", 5, ROOT))
    with pytest.raises(NoteRefused):
        checkpoint_body(Checkpoint(ORIGIN, -1, ROOT))


def test_a_signed_checkpoint_opens_for_the_log_whose_name_is_its_origin() -> None:
    log = Ed25519PrivateKey.generate()
    body = checkpoint_body(Checkpoint(ORIGIN, 7, ROOT))
    checkpoint, opened = open_checkpoint(sign(body, ORIGIN, log), verifier_of(ORIGIN, log))
    assert checkpoint == Checkpoint(ORIGIN, 7, ROOT)
    assert opened.text == body


def test_a_checkpoint_signed_only_by_a_witness_is_not_the_logs() -> None:
    log, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    body = checkpoint_body(Checkpoint(ORIGIN, 7, ROOT))
    note = body + "\n" + cosignature_line(body, "w.example", witness, 1)
    with pytest.raises(NoteRefused, match="not signed by the log"):
        open_checkpoint(note, verifier_of(ORIGIN, log), [cosigner_of("w.example", witness)])


def test_a_checkpoint_of_another_origin_is_refused() -> None:
    log = Ed25519PrivateKey.generate()
    body = checkpoint_body(Checkpoint("other.example/log", 7, ROOT))
    with pytest.raises(NoteRefused, match="origin"):
        open_checkpoint(sign(body, ORIGIN, log), verifier_of(ORIGIN, log))


# --- cosignatures ---------------------------------------------------------------------------------


def test_the_cosignature_example_carries_its_timestamp_big_endian_after_the_key_id() -> None:
    raw = base64.b64decode(SPEC_WITNESS_LINE.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    assert struct.unpack(">Q", raw[4:12]) == (1679315147,)


def test_a_cosignature_signs_the_message_the_specification_shows() -> None:
    witness = Ed25519PrivateKey.generate()
    line = cosignature_line(SPEC_BODY, "witness.example.com/w1", witness, 1679315147)
    kid = key_id("witness.example.com/w1", 0x04, witness.public_key().public_bytes_raw())
    by_hand = kid + struct.pack(">Q", 1679315147) + witness.sign(SPEC_COSIGNED_MESSAGE.encode())
    assert line == f"— witness.example.com/w1 {base64.b64encode(by_hand).decode()}\n"


def test_a_cosignature_is_verified_and_gives_its_timestamp() -> None:
    witness = Ed25519PrivateKey.generate()
    cosigner = cosigner_of("w.example", witness)
    line = cosignature_line(SPEC_BODY, "w.example", witness, 1700000000)
    assert verify_cosignature(line, SPEC_BODY, cosigner) == 1700000000
    with pytest.raises(NoteRefused, match="does not hold"):
        verify_cosignature(line, SPEC_BODY.replace("20852163", "20852164"), cosigner)


def test_a_cosigned_checkpoint_opens_with_the_log_and_the_witness_and_their_timestamps() -> None:
    log, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    body = checkpoint_body(Checkpoint(ORIGIN, 7, ROOT))
    note = sign(body, ORIGIN, log) + cosignature_line(body, "w.example", witness, 42)
    opened = open_note(note, [verifier_of(ORIGIN, log), cosigner_of("w.example", witness)])
    assert opened.verified == [
        Verified(verifier_of(ORIGIN, log), None),
        Verified(cosigner_of("w.example", witness), 42),
    ]


def test_the_cosigned_example_with_a_witness_key_that_is_not_its_own_is_refused() -> None:
    raw = base64.b64decode(SPEC_WITNESS_LINE.split(" ")[2])
    impostor = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    witness = Verifier("witness.example.com/w1", raw[:4], ALG_COSIGNATURE_V1, impostor)
    with pytest.raises(NoteRefused, match="does not hold"):
        open_note(SPEC_COSIGNED_NOTE, [witness])


def test_a_plain_signature_is_not_taken_for_a_cosignature() -> None:
    # the same key as a cosigner has another key id, so a plain signature line is not its own
    key = Ed25519PrivateKey.generate()
    note = sign(SPEC_BODY, "w.example", key)
    with pytest.raises(NoteRefused, match="known key"):
        open_note(note, [cosigner_of("w.example", key)])


@pytest.mark.parametrize("timestamp", [-1, 2**63, True])
def test_a_timestamp_out_of_range_is_not_cosigned(timestamp: int) -> None:
    with pytest.raises(NoteRefused):
        cosignature_line(SPEC_BODY, "w.example", Ed25519PrivateKey.generate(), timestamp)


def test_a_cosignature_whose_timestamp_is_past_2_63_is_refused() -> None:
    witness = Ed25519PrivateKey.generate()
    cosigner = cosigner_of("w.example", witness)
    raw = cosigner.key_id + struct.pack(">Q", 2**63) + bytes(64)
    note = SPEC_BODY + "\n" + f"— w.example {base64.b64encode(raw).decode()}\n"
    with pytest.raises(NoteRefused, match="2\\^63"):
        open_note(note, [cosigner])


def test_a_cosignature_of_the_wrong_length_is_refused() -> None:
    witness = Ed25519PrivateKey.generate()
    cosigner = cosigner_of("w.example", witness)
    line = signature_line(SPEC_BODY, "w.example", witness)  # 64 bytes after the key id
    raw = cosigner.key_id + base64.b64decode(line.split(" ")[2])[4:]
    note = SPEC_BODY + "\n" + f"— w.example {base64.b64encode(raw).decode()}\n"
    with pytest.raises(NoteRefused, match="72 bytes"):
        open_note(note, [cosigner])


def test_only_a_checkpoint_is_cosigned() -> None:
    with pytest.raises(NoteRefused):
        cosignature_line(GO_TEXT, "w.example", Ed25519PrivateKey.generate(), 1)


# --- tlog-proof -----------------------------------------------------------------------------------


def signed_checkpoint(size: int) -> str:
    log = Ed25519PrivateKey.generate()
    return sign(checkpoint_body(Checkpoint(ORIGIN, size, ROOT)), ORIGIN, log)


def path(index: int, size: int) -> tuple[bytes, ...]:
    n = inclusion_path_length(index, size)
    return tuple(hashlib.sha256(bytes([i])).digest() for i in range(n))


def test_a_proof_is_written_in_the_specified_layout() -> None:
    checkpoint = signed_checkpoint(5)
    proof = TlogProof(b"statement", 4, path(4, 5), checkpoint)
    text = format_tlog_proof(proof)
    lines = text.split("\n")
    assert lines[:3] == ["c2sp.org/tlog-proof@v1", "extra c3RhdGVtZW50", "index 4"]
    assert lines[3] == base64.b64encode(proof.hashes[0]).decode()
    assert text.endswith("\n\n" + checkpoint)
    assert parse_tlog_proof(text) == proof


def test_a_proof_without_extra_data_omits_the_extra_line() -> None:
    proof = TlogProof(None, 0, (), signed_checkpoint(1))
    text = format_tlog_proof(proof)
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 0\n\n")
    assert parse_tlog_proof(text) == proof


@pytest.mark.parametrize(
    ("index", "size", "length"),
    [(0, 1, 0), (0, 2, 1), (4, 5, 1), (3, 5, 3), (0, 8, 3), (6, 7, 2), (73894, 109482, 17)],
)
def test_the_inclusion_path_length_is_rfc_6962s(index: int, size: int, length: int) -> None:
    assert inclusion_path_length(index, size) == length


@given(data=st.data(), size=st.integers(1, 2**40), extra=st.none() | st.binary(min_size=1))
def test_any_proof_round_trips(data: st.DataObject, size: int, extra: bytes | None) -> None:
    index = data.draw(st.integers(0, size - 1))
    proof = TlogProof(extra, index, path(index, size), signed_checkpoint(size))
    assert parse_tlog_proof(format_tlog_proof(proof)) == proof


def hostile_proofs() -> list[tuple[str, bytes | str]]:
    good = format_tlog_proof(TlogProof(b"x", 3, path(3, 5), signed_checkpoint(5)))
    head, checkpoint = good.split("\n\n", 1)
    lines = head.split("\n")
    return [
        ("truncated", good[: len(good) // 2]),
        ("no checkpoint", head + "\n"),
        ("header missing", good.replace("c2sp.org/tlog-proof@v1\n", "")),
        ("header of another version", good.replace("@v1", "@v2")),
        ("index before extra", "\n".join([lines[0], lines[2], lines[1], *lines[3:]])),
        ("hashes reordered before index", "\n".join([lines[0], lines[1], lines[3], lines[2]])),
        ("a hash missing", "\n".join(lines[:-1]) + "\n\n" + checkpoint),
        ("a hash too many", head + "\n" + lines[-1] + "\n\n" + checkpoint),
        ("index with leading zero", good.replace("index 3", "index 03")),
        ("index past the tree", good.replace("index 3", "index 5")),
        ("index huge", good.replace("index 3", f"index {2**64}")),
        ("index negative", good.replace("index 3", "index -3")),
        ("extra empty", good.replace("extra eA==", "extra ")),
        ("extra not base64", good.replace("extra eA==", "extra e*==")),
        ("hash truncated", good.replace(lines[3], lines[3][:-4])),
        ("blank line in the hashes", good.replace(lines[3] + "\n", lines[3] + "\n\n", 1)),
        ("checkpoint unsigned", head + "\n\n" + checkpoint.split("\n\n")[0] + "\n"),
        ("checkpoint not a checkpoint", head + "\n\n" + GO_NOTE),
        ("carriage returns", good.replace("\n", "\r\n")),
        ("not UTF-8", good.encode().replace(b"index", b"ind\xffex")),
    ]


@pytest.mark.parametrize(("why", "text"), hostile_proofs(), ids=[w for w, _ in hostile_proofs()])
def test_a_malformed_proof_is_refused(why: str, text: str | bytes) -> None:
    with pytest.raises(NoteRefused):
        parse_tlog_proof(text)


def test_the_specifications_proof_example_is_illustrative_and_is_refused() -> None:
    # tlog-proof's example elides its signatures ("[...]") and gives 5 hashes where leaf 73894 of
    # a tree of 109482 leaves has a path of 17: it shows the layout, not a proof.
    example = (
        "c2sp.org/tlog-proof@v1\n"
        "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
        "index 73894\n"
        "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
        "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
        "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
        "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
        "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
        "\n"
        "example.com/fancylog\n"
        "109482\n"
        "sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
        "\n"
        "— example.com/fancylog hI2DJw[...]1roloI=\n"
    )
    with pytest.raises(NoteRefused):
        parse_tlog_proof(example)
