#!/usr/bin/env python3
"""A Sieve trainer in Python, written only against Sieve's public contract.

It reads its batches from ``sieve.batches.<trainer id>`` (Avro in the Confluent wire format),
"trains" on each one (counts and a running mean of a toy loss), and acknowledges every batch with a
``TrainerFeedback`` record on the feedback topic, which returns one unit of credit to Sieve.

It uses only Debian's packages: python3-confluent-kafka (the legacy ``confluent_kafka.avro``
code path, which needs python3-avro and python3-requests) -- the newer AvroDeserializer needs
fastavro, which Debian does not package.

Exit status: 0 when it received and acknowledged at least one batch (and, with --batches N, stops
after N); 1 when none came before --timeout; 2 on a usage or set-up error.
"""

import argparse
import datetime
import hashlib
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.load import load as load_schema
from confluent_kafka.avro.error import ClientError
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer


def encode_with_retries(serializer, topic, schema, record, attempts=5):
    """Encodes a record; the first registration of a subject can meet a transient 5xx from a
    registry busy with a concurrent registration, which this client library does not retry."""
    for attempt in range(1, attempts + 1):
        try:
            return serializer.encode_record_with_schema(topic, schema, record)
        except ClientError as e:
            if attempt == attempts or "Error code:5" not in str(e):
                raise
            time.sleep(0.5 * attempt)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "..", "schemas", "src", "main", "avro",
                              "TrainerFeedback.avsc")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap-servers", required=True, help="Kafka, host:port[,...]")
    p.add_argument("--schema-registry-url", required=True,
                   help="Confluent-compatible registry API, e.g. http://127.0.0.1:8080/apis/ccompat/v7")
    p.add_argument("--trainer", required=True, help="trainer id (declared with `sieve trainer put`)")
    p.add_argument("--batches-prefix", default="sieve.batches.", help="topic.batches.prefix of Sieve")
    p.add_argument("--feedback-topic", default="sieve.feedback", help="topic.feedback of Sieve")
    p.add_argument("--feedback-schema", default=DEFAULT_SCHEMA, help="TrainerFeedback.avsc")
    p.add_argument("--group-id", default=None, help="consumer group (default: trainer-<id>)")
    p.add_argument("--batches", type=int, default=0, help="stop after N batches (0: no limit)")
    p.add_argument("--timeout", type=float, default=0, help="stop after this many seconds (0: none)")
    return p.parse_args(argv)


class ToyModel:
    """Counts what it saw and keeps a running mean of a made-up loss.

    The loss of an example falls each time it is seen again: loss = u / (1 + seen), with u a stable
    pseudo-random number in [0, 1) from the example id. The running mean over all examples seen is
    mean_n = mean_{n-1} + (loss_n - mean_{n-1}) / n.
    """

    def __init__(self):
        self.batches = 0
        self.examples = 0
        self.incomplete = 0
        self.seen = {}
        self.mean_loss = 0.0
        self.cluster_counts = {}

    def train(self, batch):
        self.batches += 1
        if not batch["complete"]:
            self.incomplete += 1
        example_losses, by_cluster, by_group = {}, {}, {}
        for ex in batch["examples"]:
            seen = self.seen.get(ex["id"], 0)
            self.seen[ex["id"]] = seen + 1
            u = int.from_bytes(hashlib.sha256(ex["id"].encode("utf-8")).digest()[:4], "big") / 2**32
            loss = u / (1 + seen)
            self.examples += 1
            self.mean_loss += (loss - self.mean_loss) / self.examples
            example_losses[ex["id"]] = loss
            cluster = str(ex["clusterId"])
            by_cluster.setdefault(cluster, []).append(loss)
            self.cluster_counts[cluster] = self.cluster_counts.get(cluster, 0) + 1
            for attr, value in (ex.get("groups") or {}).items():
                by_group.setdefault(f"{attr}={value}", []).append(loss)
        mean = lambda xs: sum(xs) / len(xs)
        return (example_losses,
                {k: mean(v) for k, v in by_cluster.items()},
                {k: mean(v) for k, v in by_group.items()})


def main(argv):
    args = parse_args(argv)
    batch_topic = args.batches_prefix + args.trainer
    try:
        feedback_schema = load_schema(args.feedback_schema)
    except Exception as e:  # a missing file, or a schema that does not parse
        print(f"cannot load {args.feedback_schema}: {e}", file=sys.stderr)
        return 2
    registry = CachedSchemaRegistryClient({"url": args.schema_registry_url})
    serializer = MessageSerializer(registry)

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap_servers,
        "group.id": args.group_id or f"trainer-{args.trainer}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        # Sieve writes batches in transactions: only committed ones are batches
        "isolation.level": "read_committed",
    })
    producer = Producer({
        "bootstrap.servers": args.bootstrap_servers,
        "enable.idempotence": True,
        # Sieve joins feedback with the trainer's spec by key, so feedback must land in the same
        # partition as the spec did: Java's partitioner hashes keys with murmur2, librdkafka's
        # default (consistent_random) with CRC32 and would send it elsewhere.
        "partitioner": "murmur2_random",
    })
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))

    model = ToyModel()
    acked = 0
    deadline = time.monotonic() + args.timeout if args.timeout > 0 else None
    consumer.subscribe([batch_topic])
    print(f"trainer {args.trainer}: reading {batch_topic}", flush=True)
    try:
        while not stop and (args.batches <= 0 or acked < args.batches):
            if deadline is not None and time.monotonic() > deadline:
                print("timeout", flush=True)
                break
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                # the topic may not exist yet when the trainer starts before its spec is declared
                if msg.error().code() in (KafkaError._PARTITION_EOF,
                                          KafkaError.UNKNOWN_TOPIC_OR_PART):
                    continue
                raise KafkaException(msg.error())
            if msg.value() is None:
                continue
            batch = serializer.decode_message(msg.value())
            example_losses, cluster_losses, group_losses = model.train(batch)
            feedback = {
                "trainerId": args.trainer,
                "batchId": batch["batchId"],
                "exampleLosses": example_losses,
                "clusterLosses": cluster_losses,
                "groupLosses": group_losses,
                "groupMetrics": {},
                "sentAt": datetime.datetime.now(datetime.timezone.utc),
            }
            value = encode_with_retries(serializer, args.feedback_topic, feedback_schema, feedback)
            producer.produce(args.feedback_topic, key=args.trainer.encode("utf-8"), value=value)
            if producer.flush(30) > 0:
                raise KafkaException("feedback not delivered within 30 s")
            # the batch counts as trained only once its acknowledgement is written
            consumer.commit(message=msg, asynchronous=False)
            acked += 1
            print(f"batch seq={batch['sequence']} size={len(batch['examples'])}/{batch['requested']}"
                  f" {'complete' if batch['complete'] else 'INCOMPLETE'} cycle={batch['cycle']}"
                  f" mean-loss={model.mean_loss:.4f} acked", flush=True)
    except KafkaException as e:
        print(f"kafka error: {e}", file=sys.stderr, flush=True)
    finally:
        consumer.close()
    distinct = len(model.seen)
    print(f"summary: batches={model.batches} acknowledged={acked} examples={model.examples}"
          f" distinct={distinct} incomplete={model.incomplete} mean-loss={model.mean_loss:.4f}"
          f" clusters={dict(sorted(model.cluster_counts.items()))}", flush=True)
    return 0 if acked > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
