#!/usr/bin/env python3
"""A Sieve trainer in Python, written only against Sieve's public contract.

It reads its batches from ``sieve.batches.<trainer id>`` in sequence order, "trains" on each one
(counts and a running mean of a toy loss), and acknowledges every batch with a ``TrainerFeedback``
record on the feedback topic, which returns one unit of credit to Sieve; every ``--eval-every``
batches the feedback also closes an evaluation round. Reading, ordering and feedback are
``sieve_client.py``, beside this file, whose only dependency is Debian's python3-confluent-kafka.

Exit status: 0 when it received and acknowledged at least one batch (and, with --batches N, stops
after N); 1 when none came before --timeout; 2 on a usage or set-up error.
"""

import argparse
import hashlib
import signal
import sys
import time

from confluent_kafka import KafkaException

from sieve_client import DEFAULT_SCHEMA_DIR, SieveClient, read_properties


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", help="client settings, e.g. sieve-local/sieve.properties as"
                                    " `sieve local` writes it (the options below win over it)")
    p.add_argument("--bootstrap-servers", help="Kafka, host:port[,...]")
    p.add_argument("--schema-registry-url",
                   help="Confluent-compatible registry API, e.g. http://127.0.0.1:8081/apis/ccompat/v7")
    p.add_argument("--trainer", required=True, help="trainer id (declared with `sieve trainer put`)")
    p.add_argument("--batches-prefix", help="topic.batches.prefix of Sieve (default sieve.batches.)")
    p.add_argument("--feedback-topic", help="topic.feedback of Sieve (default sieve.feedback)")
    p.add_argument("--schema-dir", default=DEFAULT_SCHEMA_DIR, help="where TrainerFeedback.avsc is")
    p.add_argument("--group-id", default=None, help="consumer group (default: trainer-<id>)")
    p.add_argument("--rank", type=int, default=None,
                   help="data-parallel rank: read only this partition of the batch topic (a spec"
                        " with ranks R); rank 0 acknowledges each batch, the others only commit")
    p.add_argument("--ranks", type=int, default=None,
                   help="with --rank: the spec's ranks; shards written for another rank count"
                        " (before a restart with another) are skipped")
    p.add_argument("--batches", type=int, default=0, help="stop after N batches (0: no limit)")
    p.add_argument("--timeout", type=float, default=0, help="stop after this many seconds (0: none)")
    p.add_argument("--eval-every", type=int, default=5,
                   help="close an evaluation round every N batches (0: never)")
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
        self.where = {}  # example id -> (its group values, its cluster)

    def loss(self, example_id):
        u = int.from_bytes(hashlib.sha256(example_id.encode("utf-8")).digest()[:4], "big") / 2**32
        return u / (1 + self.seen.get(example_id, 0))

    def validate(self):
        """Toy validation losses: the current loss over the examples seen so far, overall, per
        group value and per cluster (a real trainer evaluates on a validation slice of its own)."""
        by_group, by_cluster, total = {}, {}, []
        for example_id, (groups, cluster) in self.where.items():
            loss = self.loss(example_id)
            total.append(loss)
            by_cluster.setdefault(cluster, []).append(loss)
            for key in groups:
                by_group.setdefault(key, []).append(loss)
        mean = lambda xs: sum(xs) / len(xs)
        return (mean(total) if total else None,
                {k: mean(v) for k, v in by_group.items()},
                {k: mean(v) for k, v in by_cluster.items()})

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
            groups = [f"{attr}={value}" for attr, value in (ex.get("groups") or {}).items()]
            for key in groups:
                by_group.setdefault(key, []).append(loss)
            self.where[ex["id"]] = (groups, cluster)
        mean = lambda xs: sum(xs) / len(xs)
        return (example_losses,
                {k: mean(v) for k, v in by_cluster.items()},
                {k: mean(v) for k, v in by_group.items()})


def settings(args):
    """Connection settings: --config first, then the options."""
    props = read_properties(args.config) if args.config else {}
    chosen = {
        "bootstrap": args.bootstrap_servers or props.get("bootstrap.servers"),
        "registry": args.schema_registry_url or props.get("schema.registry.url"),
        "prefix": args.batches_prefix or props.get("topic.batches.prefix", "sieve.batches."),
        "feedback": args.feedback_topic or props.get("topic.feedback", "sieve.feedback"),
    }
    missing = [k for k in ("bootstrap", "registry") if not chosen[k]]
    if missing:
        raise ValueError("give --config FILE or --bootstrap-servers and --schema-registry-url")
    return chosen


def main(argv):
    args = parse_args(argv)
    try:
        s = settings(args)
        client = SieveClient(s["bootstrap"], s["registry"], args.trainer,
                             batches_prefix=s["prefix"], feedback_topic=s["feedback"],
                             group_id=args.group_id, schema_dir=args.schema_dir, rank=args.rank,
                             ranks=args.ranks)
    except (OSError, ValueError, KeyError) as e:  # a missing file, a schema that does not parse
        print(f"cannot start: {e}", file=sys.stderr)
        return 2
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))

    model = ToyModel()
    acked = 0
    deadline = time.monotonic() + args.timeout if args.timeout > 0 else None
    print(f"trainer {args.trainer}: reading {client.batch_topic}", flush=True)
    try:
        while not stop and (args.batches <= 0 or acked < args.batches):
            if deadline is not None and time.monotonic() > deadline:
                print("timeout", flush=True)
                break
            batch = client.next_batch(timeout=0.5)
            if batch is None:
                continue
            example_losses, cluster_losses, group_losses = model.train(batch)
            evaluation = None
            if args.eval_every > 0 and (acked + 1) % args.eval_every == 0:
                validation_loss, val_groups, val_clusters = model.validate()
                evaluation = client.evaluation_round(validation_loss, val_groups, val_clusters)
            if args.rank:
                # one feedback per batch, from rank 0: a second would earn no credit
                client.commit(batch)
            else:
                client.ack(batch, example_losses=example_losses, cluster_losses=cluster_losses,
                           group_losses=group_losses, evaluation=evaluation)
            acked += 1
            shard = "" if args.rank is None else f" rank={batch['rank']}/{batch['ranks']}"
            print(f"batch seq={batch['sequence']}{shard}"
                  f" size={len(batch['examples'])}/{batch['requested']}"
                  f" {'complete' if batch['complete'] else 'INCOMPLETE'} cycle={batch['cycle']}"
                  f" mean-loss={model.mean_loss:.4f} {'committed' if args.rank else 'acked'}"
                  + (f" evaluation-round={evaluation['round']}" if evaluation else ""), flush=True)
    except (KafkaException, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
    finally:
        client.close()
    distinct = len(model.seen)
    done = "committed" if args.rank else "acknowledged"
    print(f"summary: batches={model.batches} {done}={acked} examples={model.examples}"
          f" distinct={distinct} incomplete={model.incomplete} mean-loss={model.mean_loss:.4f}"
          f" clusters={dict(sorted(model.cluster_counts.items()))}"
          + (f" stale={client.stale}" if args.ranks else ""), flush=True)
    return 0 if acked > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
