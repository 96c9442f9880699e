// Command tlogcheck checks what a registry's transparency log serves over HTTP, using only Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog: an implementation the registry did not write.
//
//	tlogcheck checkpoint  BASEURL VKEY                    signed checkpoint; prints {"size","root"}
//	tlogcheck tiles       BASEURL VKEY                    every tile and entry bundle of the tree
//	tlogcheck inclusion   BASEURL VKEY SEQ                /api/v1/log/proof/inclusion for one event
//	tlogcheck consistency BASEURL VKEY OLDSIZE OLDROOT    /api/v1/log/proof/consistency to now
//	tlogcheck proof       FILE VKEY LEAFDATA_HEX          a c2sp.org/tlog-proof@v1 file, offline
//
// Each prints one JSON object on success and exits 0; on failure it prints the reason on stderr
// and exits 1 (2 for a usage error).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	tileHeight = 8
	tileWidth  = 1 << tileHeight
	maxBody    = 1 << 24
)

var client = &http.Client{Timeout: 30 * time.Second}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var (
		out interface{}
		err error
	)
	args := os.Args[2:]
	switch os.Args[1] {
	case "checkpoint":
		need(args, 2)
		out, err = checkCheckpoint(args[0], args[1])
	case "tiles":
		need(args, 2)
		out, err = checkTiles(args[0], args[1])
	case "inclusion":
		need(args, 3)
		out, err = checkInclusion(args[0], args[1], args[2])
	case "consistency":
		need(args, 4)
		out, err = checkConsistency(args[0], args[1], args[2], args[3])
	case "proof":
		need(args, 3)
		out, err = checkProofFile(args[0], args[1], args[2])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlogcheck %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tlogcheck checkpoint|tiles BASEURL VKEY\n"+
		"       tlogcheck inclusion BASEURL VKEY SEQ\n"+
		"       tlogcheck consistency BASEURL VKEY OLDSIZE OLDROOT_BASE64\n"+
		"       tlogcheck proof FILE VKEY LEAFDATA_HEX")
	os.Exit(2)
}

func need(args []string, n int) {
	if len(args) != n {
		usage()
	}
}

func fetch(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", url, maxBody)
	}
	return body, nil
}

type treeOut struct {
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
}

// openCheckpoint verifies a signed checkpoint with the log's vkey and reads its three lines.
func openCheckpoint(msg []byte, vkey string) (string, tlog.Tree, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("vkey: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint note: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return "", tlog.Tree{}, errors.New("checkpoint text has fewer than three lines")
	}
	origin := lines[0]
	if origin != verifier.Name() {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint origin %q is not the key name %q", origin, verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint size %q is malformed", lines[1])
	}
	root, err := parseHash(lines[2])
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint root: %v", err)
	}
	return origin, tlog.Tree{N: size, Hash: root}, nil
}

func parseHash(s string) (tlog.Hash, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != s {
		return tlog.Hash{}, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h, nil
}

func fetchCheckpoint(base, vkey string) (string, tlog.Tree, error) {
	msg, err := fetch(base + "/log/checkpoint")
	if err != nil {
		return "", tlog.Tree{}, err
	}
	return openCheckpoint(msg, vkey)
}

func checkCheckpoint(base, vkey string) (interface{}, error) {
	origin, tree, err := fetchCheckpoint(base, vkey)
	if err != nil {
		return nil, err
	}
	return treeOut{origin, tree.N, tree.Hash.String()}, nil
}

// c2spPath turns Go's tile path "tile/8/L/NNN[.p/W]" into C2SP's "tile/L/NNN[.p/W]", where the
// height is fixed at 8 and level -1 (Go's "data") is the entry bundles' "entries".
func c2spPath(t tlog.Tile) string {
	prefix := fmt.Sprintf("tile/%d/", tileHeight)
	p := strings.TrimPrefix(t.Path(), prefix)
	if t.L == -1 {
		return "tile/entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

type tileReader struct{ base string }

func (r tileReader) Height() int { return tileHeight }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		body, err := fetch(r.base + "/log/" + c2spPath(t))
		if err != nil {
			return nil, err
		}
		data[i] = body
	}
	return data, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// readBundle fetches entry bundle n of a tree of the given size and splits it into its entries.
func readBundle(base string, n, size int64) ([][]byte, error) {
	width := size - n*tileWidth
	if width > tileWidth {
		width = tileWidth
	}
	t := tlog.Tile{H: tileHeight, L: -1, N: n, W: int(width)}
	body, err := fetch(base + "/log/" + c2spPath(t))
	if err != nil {
		return nil, err
	}
	var entries [][]byte
	for len(body) > 0 {
		if len(body) < 2 {
			return nil, fmt.Errorf("%s: truncated length prefix", c2spPath(t))
		}
		l := int(binary.BigEndian.Uint16(body))
		if len(body) < 2+l {
			return nil, fmt.Errorf("%s: truncated entry", c2spPath(t))
		}
		entries = append(entries, body[2:2+l])
		body = body[2+l:]
	}
	if int64(len(entries)) != width {
		return nil, fmt.Errorf("%s: %d entries, want %d", c2spPath(t), len(entries), width)
	}
	return entries, nil
}

// emptyRoot is RFC 6962's hash of the empty tree; Go's tlog defines it as all zeros instead.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

type tilesOut struct {
	Size    int64  `json:"size"`
	Root    string `json:"root"`
	Leaves  int64  `json:"leaves"`
	Bundles int64  `json:"bundles"`
}

func checkTiles(base, vkey string) (interface{}, error) {
	_, tree, err := fetchCheckpoint(base, vkey)
	if err != nil {
		return nil, err
	}
	if tree.N == 0 {
		if tree.Hash != emptyRoot {
			return nil, errors.New("an empty tree's root is not SHA-256 of nothing")
		}
		return tilesOut{0, tree.Hash.String(), 0, 0}, nil
	}
	// Every leaf hash, from the tiles, authenticated by TileHashReader against the checkpoint.
	indexes := make([]int64, tree.N)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leaves, err := tlog.TileHashReader(tree, tileReader{base}).ReadHashes(indexes)
	if err != nil {
		return nil, fmt.Errorf("tiles: %v", err)
	}
	// Every entry, from the bundles, must hash to its leaf; and the tree rebuilt from the entries
	// alone must have the checkpoint's root. This is not only belt and braces: x/mod 0.7.0's
	// TileHashReader starts authenticating full tiles against their parents at position len(stx)
	// of its fetch list, which skips some tiles when several subtree hashes share one tile (for
	// 1000 leaves, tiles 0/000 to 0/002 come back unchecked).
	var stored []tlog.Hash
	memory := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(stored)) {
				return nil, fmt.Errorf("stored hash %d not yet computed", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	bundles := (tree.N + tileWidth - 1) / tileWidth
	for b := int64(0); b < bundles; b++ {
		entries, err := readBundle(base, b, tree.N)
		if err != nil {
			return nil, err
		}
		for j, data := range entries {
			i := b*tileWidth + int64(j)
			if len(data) != tlog.HashSize {
				return nil, fmt.Errorf("entry %d is %d bytes, not 32", i, len(data))
			}
			h := tlog.RecordHash(data)
			if h != leaves[i] {
				return nil, fmt.Errorf("entry %d does not hash to leaf %d of the tiles", i, i)
			}
			more, err := tlog.StoredHashesForRecordHash(i, h, memory)
			if err != nil {
				return nil, err
			}
			stored = append(stored, more...)
		}
	}
	root, err := tlog.TreeHash(tree.N, memory)
	if err != nil {
		return nil, err
	}
	if root != tree.Hash {
		return nil, fmt.Errorf("the entries' tree hash %s is not the checkpoint's %s", root, tree.Hash)
	}
	return tilesOut{tree.N, tree.Hash.String(), tree.N, bundles}, nil
}

type inclusionProof struct {
	Seq    int64    `json:"seq"`
	Index  int64    `json:"index"`
	Size   int64    `json:"size"`
	Root   string   `json:"root"`
	Hashes []string `json:"hashes"`
}

type inclusionOut struct {
	Seq    int64  `json:"seq"`
	Index  int64  `json:"index"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
	Leaf   string `json:"leaf"`
	Hashes int    `json:"hashes"`
}

func decodeJSON(body []byte, v interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func parseHashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := parseHash(s)
		if err != nil {
			return nil, fmt.Errorf("hash %d: %v", i, err)
		}
		out[i] = h
	}
	return out, nil
}

func checkInclusion(base, vkey, seqText string) (interface{}, error) {
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq < 1 {
		return nil, fmt.Errorf("seq %q is not a positive number", seqText)
	}
	_, tree, err := fetchCheckpoint(base, vkey)
	if err != nil {
		return nil, err
	}
	if seq > tree.N {
		return nil, fmt.Errorf("seq %d is past the checkpoint's size %d", seq, tree.N)
	}
	body, err := fetch(fmt.Sprintf("%s/api/v1/log/proof/inclusion?seq=%d&size=%d", base, seq, tree.N))
	if err != nil {
		return nil, err
	}
	var p inclusionProof
	if err := decodeJSON(body, &p); err != nil {
		return nil, fmt.Errorf("inclusion proof: %v", err)
	}
	index := seq - 1
	if p.Seq != seq || p.Index != index || p.Size != tree.N || p.Root != tree.Hash.String() {
		return nil, fmt.Errorf("inclusion proof is for seq %d index %d size %d root %s, not %d %d %d %s",
			p.Seq, p.Index, p.Size, p.Root, seq, index, tree.N, tree.Hash)
	}
	hashes, err := parseHashes(p.Hashes)
	if err != nil {
		return nil, err
	}
	entries, err := readBundle(base, index/tileWidth, tree.N)
	if err != nil {
		return nil, err
	}
	data := entries[index%tileWidth]
	if err := tlog.CheckRecord(tlog.RecordProof(hashes), tree.N, tree.Hash, index, tlog.RecordHash(data)); err != nil {
		return nil, fmt.Errorf("inclusion of seq %d: %v", seq, err)
	}
	return inclusionOut{seq, index, tree.N, tree.Hash.String(), hex.EncodeToString(data), len(hashes)}, nil
}

type consistencyProof struct {
	From   int64    `json:"from"`
	To     int64    `json:"to"`
	Hashes []string `json:"hashes"`
}

type consistencyOut struct {
	From    int64  `json:"from"`
	To      int64  `json:"to"`
	OldRoot string `json:"old_root"`
	Root    string `json:"root"`
	Hashes  int    `json:"hashes"`
}

func checkConsistency(base, vkey, oldText, oldRootText string) (interface{}, error) {
	old, err := strconv.ParseInt(oldText, 10, 64)
	if err != nil || old < 1 {
		return nil, fmt.Errorf("old size %q is not a positive number", oldText)
	}
	oldRoot, err := parseHash(oldRootText)
	if err != nil {
		return nil, fmt.Errorf("old root: %v", err)
	}
	_, tree, err := fetchCheckpoint(base, vkey)
	if err != nil {
		return nil, err
	}
	if old > tree.N {
		return nil, fmt.Errorf("old size %d is past the checkpoint's size %d", old, tree.N)
	}
	body, err := fetch(fmt.Sprintf("%s/api/v1/log/proof/consistency?from=%d&to=%d", base, old, tree.N))
	if err != nil {
		return nil, err
	}
	var p consistencyProof
	if err := decodeJSON(body, &p); err != nil {
		return nil, fmt.Errorf("consistency proof: %v", err)
	}
	if p.From != old || p.To != tree.N {
		return nil, fmt.Errorf("consistency proof is from %d to %d, not %d to %d", p.From, p.To, old, tree.N)
	}
	hashes, err := parseHashes(p.Hashes)
	if err != nil {
		return nil, err
	}
	if err := tlog.CheckTree(tlog.TreeProof(hashes), tree.N, tree.Hash, old, oldRoot); err != nil {
		return nil, fmt.Errorf("consistency from %d to %d: %v", old, tree.N, err)
	}
	return consistencyOut{old, tree.N, oldRoot.String(), tree.Hash.String(), len(hashes)}, nil
}

type proofOut struct {
	Index  int64  `json:"index"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
	Extra  string `json:"extra"`
	Hashes int    `json:"hashes"`
}

// checkProofFile reads a c2sp.org/tlog-proof@v1 file on its own terms, written here from the
// specification rather than shared with the registry's reader, and checks the leaf's inclusion.
func checkProofFile(file, vkey, leafHex string) (interface{}, error) {
	data, err := hex.DecodeString(leafHex)
	if err != nil {
		return nil, fmt.Errorf("leaf data: %v", err)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	head, checkpoint, ok := strings.Cut(string(text), "\n\n")
	if !ok {
		return nil, errors.New("no blank line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return nil, fmt.Errorf("first line %q is not c2sp.org/tlog-proof@v1", lines[0])
	}
	lines = lines[1:]
	extra := ""
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		extra = strings.TrimPrefix(lines[0], "extra ")
		raw, err := base64.StdEncoding.DecodeString(extra)
		if err != nil || len(raw) == 0 || base64.StdEncoding.EncodeToString(raw) != extra {
			return nil, fmt.Errorf("extra line is not base64 data")
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return nil, errors.New("no index line")
	}
	indexText := strings.TrimPrefix(lines[0], "index ")
	index, err := strconv.ParseInt(indexText, 10, 64)
	if err != nil || index < 0 || strconv.FormatInt(index, 10) != indexText {
		return nil, fmt.Errorf("index %q is malformed", indexText)
	}
	hashes, err := parseHashes(lines[1:])
	if err != nil {
		return nil, err
	}
	_, tree, err := openCheckpoint([]byte(checkpoint), vkey)
	if err != nil {
		return nil, err
	}
	if index >= tree.N {
		return nil, fmt.Errorf("index %d is not in a tree of %d", index, tree.N)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(hashes), tree.N, tree.Hash, index, tlog.RecordHash(data)); err != nil {
		return nil, fmt.Errorf("inclusion of index %d: %v", index, err)
	}
	return proofOut{index, tree.N, tree.Hash.String(), extra, len(hashes)}, nil
}
