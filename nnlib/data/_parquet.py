"""Just enough of Apache Parquet to read one column of strings, without pyarrow.

Used once per machine to read the word list of the GloVe wheel (``glove_6B_index.parquet``: one
optional UTF-8 column, snappy-compressed, dictionary-encoded pages that fall back to plain ones).
The result is cached as text, so speed hardly matters; clarity and loud failure do. Anything
outside this subset (nested or repeated columns, nulls, other codecs or encodings) raises
``ValueError`` rather than guessing.

Format references: the Parquet format spec (parquet.thrift, Encodings.md), the Thrift compact
protocol spec, and Google's snappy format_description.txt.
"""

from __future__ import annotations

import struct

import numpy as np

MAGIC = b"PAR1"

# parquet.thrift enums (only the values this reader accepts are named)
_BYTE_ARRAY = 6
_OPTIONAL, _REQUIRED = 1, 0
_UNCOMPRESSED, _SNAPPY = 0, 1
_PLAIN, _PLAIN_DICTIONARY, _RLE, _RLE_DICTIONARY = 0, 2, 3, 8
_DATA_PAGE, _DICTIONARY_PAGE = 0, 2


# ---- Thrift compact protocol ---------------------------------------------------------------


class _Reader:
    """Reads a Thrift compact-protocol struct into {field id: value} (nested structs as dicts)."""

    def __init__(self, buf: bytes, pos: int = 0):
        self.buf, self.pos = buf, pos

    def byte(self) -> int:
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int):
        if kind in (1, 2):  # booleans inside a struct carry the value in the type nibble
            return kind == 1
        if kind == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            (x,) = struct.unpack_from("<d", self.buf, self.pos)
            self.pos += 8
            return x
        if kind == 8:
            n = self.varint()
            data = self.buf[self.pos : self.pos + n]
            self.pos += n
            return bytes(data)
        if kind in (9, 10):
            header = self.byte()
            size = header >> 4
            if size == 15:
                size = self.varint()
            elem = header & 0x0F
            if elem in (1, 2):  # booleans in a list are one byte each
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(elem) for _ in range(size)]
        if kind == 11:
            size = self.varint()
            if size == 0:
                return {}
            types = self.byte()
            return {self.value(types >> 4): self.value(types & 0x0F) for _ in range(size)}
        if kind == 12:
            return self.struct()
        raise ValueError(f"parquet: unknown Thrift compact type {kind} at byte {self.pos}")

    def struct(self) -> dict[int, object]:
        fields: dict[int, object] = {}
        last = 0
        while True:
            header = self.byte()
            if header == 0:  # STOP
                return fields
            delta, kind = header >> 4, header & 0x0F
            field = last + delta if delta else self.zigzag()
            fields[field] = self.value(kind)
            last = field


# ---- snappy (raw block format) --------------------------------------------------------------


def snappy_decompress(data: bytes) -> bytes:
    """Decompress one raw snappy block (no framing), as Parquet stores them."""
    src = _Reader(data)
    expected = src.varint()
    out = bytearray()
    buf, pos, end = data, src.pos, len(data)
    while pos < end:
        tag = buf[pos]
        kind = tag & 3
        if kind == 0:  # literal
            n = tag >> 2
            pos += 1
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(buf[pos : pos + extra], "little")
                pos += extra
            n += 1
            out += buf[pos : pos + n]
            pos += n
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | buf[pos + 1]
            pos += 2
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(buf[pos + 1 : pos + 3], "little")
            pos += 3
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(buf[pos + 1 : pos + 5], "little")
            pos += 5
        if not 0 < offset <= len(out):
            raise ValueError(f"snappy: copy offset {offset} outside the {len(out)} bytes so far")
        start = len(out) - offset
        if offset >= length:
            out += out[start : start + length]
        else:  # the copy overlaps its own output: the last `offset` bytes repeat
            pattern = bytes(out[start:])
            out += (pattern * (length // offset + 1))[:length]
    if len(out) != expected:
        raise ValueError(f"snappy: got {len(out)} bytes, the header promised {expected}")
    return bytes(out)


# ---- Parquet encodings ----------------------------------------------------------------------


def rle_bitpacked(buf: bytes, pos: int, end: int, bit_width: int, count: int) -> np.ndarray:
    """Decode ``count`` values of the RLE / bit-packing hybrid encoding from ``buf[pos:end]``."""
    src = _Reader(buf, pos)
    runs: list[np.ndarray] = []
    total = 0
    weights = (1 << np.arange(bit_width, dtype=np.int64)) if bit_width else None
    while total < count:
        if src.pos >= end:
            raise ValueError(f"parquet: RLE data ended after {total} of {count} values")
        header = src.varint()
        if header & 1:  # bit-packed: (header >> 1) groups of 8 values, least significant bit first
            n = (header >> 1) * 8
            nbytes = (header >> 1) * bit_width
            raw = np.frombuffer(buf, np.uint8, nbytes, src.pos)
            src.pos += nbytes
            if bit_width:
                bits = np.unpackbits(raw, bitorder="little").reshape(n, bit_width)
                run = bits.astype(np.int64) @ weights
            else:
                run = np.zeros(n, np.int64)
        else:  # a run of one repeated value
            n = header >> 1
            width = (bit_width + 7) // 8
            value = int.from_bytes(buf[src.pos : src.pos + width], "little")
            src.pos += width
            run = np.full(n, value, np.int64)
        runs.append(run)
        total += n
    return np.concatenate(runs)[:count]


def plain_byte_arrays(buf: bytes, pos: int, count: int) -> list[bytes]:
    """``count`` PLAIN-encoded byte arrays (4-byte little-endian length, then the bytes)."""
    values = []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", buf, pos)
        values.append(buf[pos + 4 : pos + 4 + n])
        pos += 4 + n
    return values


# ---- the file -------------------------------------------------------------------------------


def read_string_column(data: bytes) -> list[str]:
    """The values of the only column of a Parquet file holding one non-null string column."""
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise ValueError("parquet: not a Parquet file (no PAR1 magic at both ends)")
    (meta_len,) = struct.unpack_from("<I", data, len(data) - 8)
    meta = _Reader(data, len(data) - 8 - meta_len).struct()
    schema = meta[2]
    leaves = [s for s in schema[1:] if 5 not in s]  # field 5 = num_children: groups have it
    if len(schema) != 2 or len(leaves) != 1:
        raise ValueError(f"parquet: expected one flat column, found schema {schema}")
    leaf = leaves[0]
    if leaf.get(1) != _BYTE_ARRAY or leaf.get(3) not in (_OPTIONAL, _REQUIRED):
        raise ValueError(f"parquet: the column is not a plain string column: {leaf}")
    max_def = 1 if leaf[3] == _OPTIONAL else 0
    values: list[bytes] = []
    for group in meta[4]:
        (chunk,) = group[1]
        cm = chunk[3]
        codec, n_values = cm[4], cm[5]
        if codec not in (_UNCOMPRESSED, _SNAPPY):
            raise ValueError(f"parquet: compression codec {codec} is not supported (snappy only)")
        pos = cm.get(11, cm[9])  # dictionary page first, if any
        dictionary: list[bytes] | None = None
        done = 0
        while done < n_values:
            header = _Reader(data, pos)
            page = header.struct()
            body = data[header.pos : header.pos + page[3]]
            pos = header.pos + page[3]
            if codec == _SNAPPY:
                body = snappy_decompress(body)
            if len(body) != page[2]:
                raise ValueError("parquet: page size differs from its header")
            if page[1] == _DICTIONARY_PAGE:
                dph = page[7]
                if dph[2] not in (_PLAIN, _PLAIN_DICTIONARY):
                    raise ValueError(f"parquet: dictionary encoding {dph[2]} is not supported")
                dictionary = plain_byte_arrays(body, 0, dph[1])
                continue
            if page[1] != _DATA_PAGE:
                raise ValueError(f"parquet: page type {page[1]} is not supported (v1 pages only)")
            dp = page[5]
            n, encoding, at = dp[1], dp[2], 0
            if max_def:
                (levels_len,) = struct.unpack_from("<I", body, 0)
                levels = rle_bitpacked(body, 4, 4 + levels_len, 1, n)
                if not levels.all():
                    raise ValueError("parquet: the column has nulls (not supported)")
                at = 4 + levels_len
            if encoding == _PLAIN:
                values += plain_byte_arrays(body, at, n)
            elif encoding in (_PLAIN_DICTIONARY, _RLE_DICTIONARY):
                if dictionary is None:
                    raise ValueError("parquet: dictionary-encoded page without a dictionary")
                codes = rle_bitpacked(body, at + 1, len(body), body[at], n)
                values += [dictionary[c] for c in codes.tolist()]
            else:
                raise ValueError(f"parquet: value encoding {encoding} is not supported")
            done += n
    if len(values) != meta[3]:
        raise ValueError(f"parquet: read {len(values)} values, the footer says {meta[3]}")
    return [v.decode("utf-8") for v in values]
