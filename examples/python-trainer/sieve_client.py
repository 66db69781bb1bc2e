"""A small Sieve client for trainers in Python.

It reads a trainer's batches from ``sieve.batches.<trainer>`` in sequence order, and sends the
trainer's feedback to ``sieve.feedback``: the acknowledgement that returns credit, the losses that
steer the policies, and at evaluation rounds the validation losses with the counts trained on since
the previous round. Records are Avro in the Confluent wire format (magic byte 0, 4-byte schema id,
Avro binary); the client carries its own Avro codec and talks to the schema registry's
Confluent-compatible REST API, so its only dependency is Debian's ``python3-confluent-kafka``.

    from sieve_client import SieveClient

    with SieveClient.from_properties("sieve-local/sieve.properties", "t1") as client:
        for batch in client.batches(timeout=60):
            losses = train(batch["examples"])
            client.ack(batch, example_losses=losses)

Two rules any non-Java trainer must follow, both kept here: batches are read with
``isolation.level=read_committed`` (Sieve writes them in transactions), and feedback is produced
with Java's key partitioner (``partitioner=murmur2_random``), since Sieve joins feedback with the
trainer's spec by key.
"""

import datetime
import heapq
import io
import json
import os
import struct
import time
import urllib.error
import urllib.request

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "schemas", "src", "main",
                                                   "avro"))
REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


# ---- Avro binary codec -------------------------------------------------------------------------

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


class AvroError(ValueError):
    """A schema this codec cannot read, or a datum that does not fit its schema."""


class Schema:
    """A parsed Avro schema: the JSON form with named types resolved."""

    def __init__(self, json_schema, named=None):
        self.named = dict(named or {})
        self.root = self._parse(json_schema, None)

    def _parse(self, s, namespace):
        if isinstance(s, str):
            if s in PRIMITIVES:
                return s
            full = s if "." in s or namespace is None else f"{namespace}.{s}"
            for name in (full, s):
                if name in self.named:
                    return self.named[name]
            raise AvroError(f"unknown type {s}")
        if isinstance(s, list):
            return {"type": "union", "branches": [self._parse(b, namespace) for b in s]}
        t = s["type"]
        if t in ("record", "error", "enum", "fixed"):
            ns = s.get("namespace", namespace)
            name = s["name"] if "." in s["name"] or ns is None else f"{ns}.{s['name']}"
            node = dict(s, type=t, fullname=name)
            self.named[name] = node
            if t in ("record", "error"):
                node["fields"] = [dict(f, type=self._parse(f["type"], name.rsplit(".", 1)[0]
                                                           if "." in name else None))
                                  for f in s["fields"]]
            return node
        if t == "array":
            return {"type": "array", "items": self._parse(s["items"], namespace)}
        if t == "map":
            return {"type": "map", "values": self._parse(s["values"], namespace)}
        if t in PRIMITIVES:
            # a primitive with attributes, e.g. a logical type: its encoding is the primitive's
            return t
        return self._parse(t, namespace)


def _read_long(buf):
    shift, acc = 0, 0
    while True:
        b = buf.read(1)
        if not b:
            raise AvroError("truncated varint")
        acc |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return (acc >> 1) ^ -(acc & 1)
        shift += 7


def _write_long(out, n):
    n = (n << 1) ^ (n >> 63)
    while n & ~0x7F:
        out.write(bytes(((n & 0x7F) | 0x80,)))
        n >>= 7
    out.write(bytes((n,)))


def decode(schema, buf):
    """Reads one datum of the schema node from a binary stream."""
    if isinstance(schema, str):
        if schema == "null":
            return None
        if schema == "boolean":
            return buf.read(1) == b"\x01"
        if schema in ("int", "long"):
            return _read_long(buf)
        if schema == "float":
            return struct.unpack("<f", buf.read(4))[0]
        if schema == "double":
            return struct.unpack("<d", buf.read(8))[0]
        data = buf.read(_read_long(buf))
        return data if schema == "bytes" else data.decode("utf-8")
    t = schema["type"]
    if t in ("record", "error"):
        return {f["name"]: decode(f["type"], buf) for f in schema["fields"]}
    if t == "union":
        return decode(schema["branches"][_read_long(buf)], buf)
    if t == "array":
        items = []
        while True:
            n = _read_long(buf)
            if n == 0:
                return items
            if n < 0:
                n = -n
                _read_long(buf)  # the block's size in bytes
            if schema["items"] == "float":
                # one call for a whole block: embeddings are hundreds of floats
                items.extend(struct.unpack(f"<{n}f", buf.read(4 * n)))
            else:
                items.extend(decode(schema["items"], buf) for _ in range(n))
    if t == "map":
        out = {}
        while True:
            n = _read_long(buf)
            if n == 0:
                return out
            if n < 0:
                n = -n
                _read_long(buf)
            for _ in range(n):
                key = decode("string", buf)
                out[key] = decode(schema["values"], buf)
    if t == "enum":
        return schema["symbols"][_read_long(buf)]
    if t == "fixed":
        return buf.read(schema["size"])
    raise AvroError(f"cannot decode {t}")


def _fits(schema, datum):
    """Whether a datum can be written as this union branch."""
    if isinstance(schema, str):
        return {
            "null": datum is None,
            "boolean": isinstance(datum, bool),
            "int": isinstance(datum, int) and not isinstance(datum, bool),
            "long": isinstance(datum, (int, datetime.datetime)) and not isinstance(datum, bool),
            "float": isinstance(datum, (int, float)) and not isinstance(datum, bool),
            "double": isinstance(datum, (int, float)) and not isinstance(datum, bool),
            "bytes": isinstance(datum, (bytes, bytearray)),
            "string": isinstance(datum, str),
        }[schema]
    t = schema["type"]
    return {"record": isinstance(datum, dict), "error": isinstance(datum, dict),
            "map": isinstance(datum, dict), "array": isinstance(datum, (list, tuple)),
            "enum": isinstance(datum, str), "fixed": isinstance(datum, (bytes, bytearray))}[t]


def encode(schema, datum, out):
    """Writes one datum of the schema node to a binary stream."""
    if isinstance(schema, str):
        if schema == "null":
            return
        if schema == "boolean":
            out.write(b"\x01" if datum else b"\x00")
        elif schema in ("int", "long"):
            if isinstance(datum, datetime.datetime):
                datum = int(datum.timestamp() * 1000)
            _write_long(out, int(datum))
        elif schema == "float":
            out.write(struct.pack("<f", datum))
        elif schema == "double":
            out.write(struct.pack("<d", datum))
        else:
            data = datum if schema == "bytes" else datum.encode("utf-8")
            _write_long(out, len(data))
            out.write(data)
        return
    t = schema["type"]
    if t in ("record", "error"):
        for f in schema["fields"]:
            if f["name"] in datum:
                value = datum[f["name"]]
            elif "default" in f:
                value = f["default"]
            else:
                raise AvroError(f"{schema['fullname']}.{f['name']} is required")
            encode(f["type"], value, out)
    elif t == "union":
        for i, branch in enumerate(schema["branches"]):
            if _fits(branch, datum):
                _write_long(out, i)
                encode(branch, datum, out)
                return
        raise AvroError(f"{datum!r} fits no branch of {schema['branches']}")
    elif t == "array":
        if datum:
            _write_long(out, len(datum))
            for item in datum:
                encode(schema["items"], item, out)
        _write_long(out, 0)
    elif t == "map":
        if datum:
            _write_long(out, len(datum))
            for key, value in datum.items():
                encode("string", key, out)
                encode(schema["values"], value, out)
        _write_long(out, 0)
    elif t == "enum":
        _write_long(out, schema["symbols"].index(datum))
    elif t == "fixed":
        out.write(datum)
    else:
        raise AvroError(f"cannot encode {t}")


def load_schema_file(path, schema_dir=None):
    """Parses an .avsc file; named types it references (e.g. io.sieve.avro.EvaluationRound) are
    read from the .avsc of that name under schema_dir, and inlined, as Java's Avro writes them."""
    schema_dir = schema_dir or os.path.dirname(path)
    with open(path, encoding="utf-8") as f:
        root = json.load(f)
    files = {}
    for dirpath, _, names in os.walk(schema_dir):
        for n in names:
            if n.endswith(".avsc"):
                files.setdefault(n[:-5], os.path.join(dirpath, n))
    defined = set()

    def inline(s, namespace):
        if isinstance(s, str):
            if s in PRIMITIVES:
                return s
            full = s if "." in s else f"{namespace}.{s}"
            if full in defined:
                return full
            simple = full.rsplit(".", 1)[-1]
            if simple not in files:
                raise AvroError(f"no {simple}.avsc under {schema_dir} for type {full}")
            with open(files[simple], encoding="utf-8") as f:
                return inline(json.load(f), namespace)
        if isinstance(s, list):
            return [inline(b, namespace) for b in s]
        s = dict(s)
        if s["type"] in ("record", "error", "enum", "fixed"):
            ns = s.get("namespace", namespace)
            defined.add(s["name"] if "." in s["name"] else f"{ns}.{s['name']}")
            if "fields" in s:
                s["fields"] = [dict(f, type=inline(f["type"], ns)) for f in s["fields"]]
            return s
        if s["type"] == "array":
            s["items"] = inline(s["items"], namespace)
        elif s["type"] == "map":
            s["values"] = inline(s["values"], namespace)
        return s

    return inline(root, root.get("namespace"))


# ---- schema registry (Confluent-compatible REST API) ---------------------------------------------

class Registry:
    """Reads writer schemas by id and registers the feedback schema; caches both."""

    def __init__(self, url, attempts=5):
        self.url = url.rstrip("/")
        self.attempts = attempts
        self._by_id = {}

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(self.url + path, data=data, method=method, headers={
                "Content-Type": REGISTRY_CONTENT_TYPE, "Accept": REGISTRY_CONTENT_TYPE})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as e:
                # a registry busy with a concurrent first registration can answer 5xx: retry
                if e.code < 500 or attempt == self.attempts:
                    detail = e.read().decode("utf-8", "replace")
                    raise RuntimeError(f"schema registry {method} {path}: HTTP {e.code} {detail}")
            except urllib.error.URLError as e:
                if attempt == self.attempts:
                    raise RuntimeError(f"schema registry at {self.url} unreachable: {e.reason}")
            time.sleep(0.5 * attempt)

    def schema(self, schema_id):
        if schema_id not in self._by_id:
            text = self._call("GET", f"/schemas/ids/{schema_id}")["schema"]
            self._by_id[schema_id] = Schema(json.loads(text))
        return self._by_id[schema_id]

    def register(self, subject, json_schema):
        """The id of json_schema under subject, registering it if it is new."""
        text = json.dumps(json_schema)
        schema_id = self._call("POST", f"/subjects/{subject}/versions", {"schema": text})["id"]
        self._by_id[schema_id] = Schema(json_schema)
        return schema_id


def wire_decode(registry, value):
    if len(value) < 5 or value[0] != 0:
        raise AvroError("not in the Confluent wire format (magic byte 0, schema id, Avro)")
    schema_id = struct.unpack(">I", value[1:5])[0]
    return decode(registry.schema(schema_id).root, io.BytesIO(value[5:]))


def wire_encode(schema_id, schema, datum):
    out = io.BytesIO()
    out.write(b"\x00" + struct.pack(">I", schema_id))
    encode(schema.root, datum, out)
    return out.getvalue()


# ---- ordering --------------------------------------------------------------------------------

class SequenceOrder:
    """Puts batches back in sequence order.

    Sieve writes a trainer's batches in sequence order, but a batch topic with several partitions
    can deliver them out of order. A batch is held back until the ones before it came, or until it
    waited ``wait`` seconds (which also covers a start in the middle of the stream, where the next
    sequence is not known); a batch older than the last one released was seen before and is
    dropped. At most ``window`` batches are outstanding, so at most that many wait here.
    """

    def __init__(self, wait=2.0, clock=time.monotonic, next_sequence=None):
        self.wait = wait
        self.clock = clock
        self.next_sequence = next_sequence
        self.skipped = []
        self._heap = []
        self._arrivals = 0

    def push(self, batch, item=None):
        """Adds a batch (with anything to keep beside it); False if it was released before."""
        if self.next_sequence is not None and batch["sequence"] < self.next_sequence:
            return False
        self._arrivals += 1
        heapq.heappush(self._heap, (batch["sequence"], self.clock(), self._arrivals, batch, item))
        return True

    def pop(self):
        """The next batch in order and its item, or None while it should still wait."""
        if not self._heap:
            return None
        sequence, arrived, _, batch, item = self._heap[0]
        in_turn = self.next_sequence is not None and sequence == self.next_sequence
        if not in_turn and self.clock() - arrived < self.wait:
            return None
        heapq.heappop(self._heap)
        if self.next_sequence is not None and sequence > self.next_sequence:
            self.skipped.append((self.next_sequence, sequence - 1))
        self.next_sequence = sequence + 1
        return batch, item

    def __len__(self):
        return len(self._heap)


# ---- the client ----------------------------------------------------------------------------------

def read_properties(path):
    """A Java .properties file as written by `sieve local` (key=value lines, # comments)."""
    props = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#!":
                continue
            key, sep, value = line.partition("=")
            if not sep:
                key, _, value = line.partition(":")
            # Properties.store escapes ':' and '=' in values (http\://...)
            props[key.strip()] = value.strip().replace("\\:", ":").replace("\\=", "=")
    return props


def is_stale(batch, ranks):
    """Whether a shard was written for another rank count than ``ranks`` (None: any is fine)."""
    return ranks is not None and batch.get("ranks", 1) != ranks


def rank_group_id(trainer_id, group_id=None, rank=None):
    """The consumer group of a trainer, or of one rank of a data-parallel trainer: each rank
    commits its own partition's offsets."""
    if group_id:
        return group_id
    return f"trainer-{trainer_id}" if rank is None else f"trainer-{trainer_id}-rank{rank}"


class SieveClient:
    """One trainer's side of Sieve: its batches in sequence order, and its feedback.

    Batches come in sequence order (see SequenceOrder; ``reorder_wait`` is how long a batch waits
    for the ones before it). Acknowledging a batch commits its offset.

    ``rank``: for a data-parallel trainer (a spec with ``ranks`` R), the rank this process is. It
    then reads only partition ``rank`` of the batch topic, where Sieve writes that rank's shard of
    every batch. A batch counts as acknowledged by the first feedback naming it, so one rank
    (say rank 0) calls ``ack``, with the losses of all ranks if it gathers them; the others call
    ``commit`` (feedback from them would be dead-lettered as ``late-feedback``). With ``ranks``
    (the spec's rank count) given too, a shard written for another rank count (before a restart
    with another ``ranks``) is committed and skipped, counted in ``stale``: it was planned under
    the former spec, which no longer takes feedback for it.
    """

    def __init__(self, bootstrap_servers, schema_registry_url, trainer_id,
                 batches_prefix="sieve.batches.", feedback_topic="sieve.feedback",
                 group_id=None, schema_dir=DEFAULT_SCHEMA_DIR, reorder_wait=2.0, extra=None,
                 rank=None, ranks=None):
        self.trainer_id = trainer_id
        self.rank = rank
        self.ranks = ranks
        self.stale = 0
        self.batch_topic = batches_prefix + trainer_id
        self.feedback_topic = feedback_topic
        self.reorder_wait = reorder_wait
        self.registry = Registry(schema_registry_url)
        self._feedback_json = load_schema_file(os.path.join(schema_dir, "TrainerFeedback.avsc"),
                                               schema_dir)
        self._feedback_schema = Schema(self._feedback_json)
        self._feedback_id = None
        common = dict(extra or {})
        common["bootstrap.servers"] = bootstrap_servers
        self.consumer = Consumer(dict(common, **{
            "group.id": rank_group_id(trainer_id, group_id, rank),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            # only committed transactions are batches
            "isolation.level": "read_committed",
        }))
        self.producer = Producer(dict(common, **{
            "enable.idempotence": True,
            # Java's partitioner (murmur2), so feedback lands in its trainer's partition
            "partitioner": "murmur2_random",
        }))
        self.order = SequenceOrder(reorder_wait)
        self._messages = {}  # batch id -> message, committed once acknowledged
        self.delivered = 0
        self.duplicates = 0
        self.round = 0
        self._trained_groups = {}
        self._trained_clusters = {}
        if rank is None:
            self.consumer.subscribe([self.batch_topic])
        else:
            # only this rank's partition, from its committed offset (or the start)
            self.consumer.assign([TopicPartition(self.batch_topic, int(rank))])

    @classmethod
    def from_properties(cls, path, trainer_id, **kwargs):
        """A client for the stack whose client settings are in path (as `sieve local` writes)."""
        p = read_properties(path)
        return cls(p["bootstrap.servers"], p["schema.registry.url"], trainer_id,
                   batches_prefix=p.get("topic.batches.prefix", "sieve.batches."),
                   feedback_topic=p.get("topic.feedback", "sieve.feedback"), **kwargs)

    # -- reading

    def _poll(self, seconds):
        msg = self.consumer.poll(seconds)
        if msg is None:
            return
        if msg.error():
            # the topic may not exist until the trainer's spec is declared
            if msg.error().code() in (KafkaError._PARTITION_EOF, KafkaError.UNKNOWN_TOPIC_OR_PART):
                return
            raise KafkaException(msg.error())
        if msg.value() is None:
            return
        batch = wire_decode(self.registry, msg.value())
        if is_stale(batch, self.ranks):
            self.stale += 1
            self.consumer.commit(message=msg, asynchronous=False)
            return
        if not self.order.push(batch, msg):
            # released before (a redelivery after a rebalance): the trainer saw it once
            self.duplicates += 1
            self.consumer.commit(message=msg, asynchronous=False)

    def next_batch(self, timeout=None):
        """The next batch in sequence order, or None when none came within timeout seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ready = self.order.pop()
            if ready is not None:
                batch, msg = ready
                self._messages[batch["batchId"]] = msg
                self.delivered += 1
                return batch
            if deadline is not None and time.monotonic() >= deadline:
                return None
            self._poll(0.2)

    def batches(self, timeout=None, limit=0):
        """Batches in sequence order until none comes for timeout seconds, or limit were read."""
        n = 0
        while limit <= 0 or n < limit:
            batch = self.next_batch(timeout)
            if batch is None:
                return
            n += 1
            yield batch

    # -- feedback

    def ack(self, batch, example_losses=None, cluster_losses=None, group_losses=None,
            example_learnability=None, cluster_learnability=None, evaluation=None,
            group_learnability=None):
        """Acknowledges a batch (one unit of credit back) with the signals the trainer has, then
        commits the batch's offset: a batch counts as trained once its acknowledgement is written.

        evaluation: when this feedback closes an evaluation round, a dict with the round's
        validation losses (see evaluation_round); the counts trained on since the previous round
        are filled in from the batches acknowledged since then, unless given.
        """
        for ex in batch["examples"]:
            cluster = str(ex["clusterId"])
            self._trained_clusters[cluster] = self._trained_clusters.get(cluster, 0) + 1
            for attr, value in (ex.get("groups") or {}).items():
                key = f"{attr}={value}"
                self._trained_groups[key] = self._trained_groups.get(key, 0) + 1
        if evaluation is not None:
            evaluation = dict(evaluation)
            evaluation.setdefault("trainedGroupCounts", dict(self._trained_groups))
            evaluation.setdefault("trainedClusterCounts", dict(self._trained_clusters))
            self._trained_groups, self._trained_clusters = {}, {}
            self.round = evaluation["round"] + 1
        feedback = {
            "trainerId": self.trainer_id,
            "batchId": batch["batchId"],
            "exampleLosses": example_losses or {},
            "clusterLosses": cluster_losses or {},
            "groupLosses": group_losses or {},
            "groupMetrics": {},
            "exampleLearnability": example_learnability or {},
            "clusterLearnability": cluster_learnability or {},
            "groupLearnability": group_learnability or {},
            "evaluation": evaluation,
            "sentAt": datetime.datetime.now(datetime.timezone.utc),
        }
        if self._feedback_id is None:
            self._feedback_id = self.registry.register(self.feedback_topic + "-value",
                                                       self._feedback_json)
        value = wire_encode(self._feedback_id, self._feedback_schema, feedback)
        self.producer.produce(self.feedback_topic, key=self.trainer_id.encode("utf-8"), value=value)
        if self.producer.flush(30) > 0:
            raise KafkaException(f"feedback on {batch['batchId']} not delivered within 30 s")
        msg = self._messages.pop(batch["batchId"], None)
        if msg is not None:
            self.consumer.commit(message=msg, asynchronous=False)

    def commit(self, batch):
        """Commits a batch's offset without feedback: for the ranks of a data-parallel trainer
        that leave the acknowledgement to another rank."""
        msg = self._messages.pop(batch["batchId"], None)
        if msg is not None:
            self.consumer.commit(message=msg, asynchronous=False)

    def evaluation_round(self, validation_loss=None, group_losses=None, cluster_losses=None):
        """An evaluation round to pass to ack: the trainer's losses on a validation slice of its
        own (never its test set), per group value (attribute=value) and per cluster id."""
        return {
            "round": self.round,
            "validationLoss": validation_loss,
            "groupLosses": group_losses or {},
            "clusterLosses": cluster_losses or {},
        }

    def close(self):
        self.producer.flush(30)
        self.consumer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
