"""Unit tests of sieve_client that need no broker: the Avro codec, the schema loader, the order of
batches and the client settings file. Run: python3 -m unittest test_sieve_client (from this
directory); SieveClientPythonTest runs them in `mvn verify`."""

import io
import os
import struct
import tempfile
import unittest

from sieve_client import (DEFAULT_SCHEMA_DIR, Schema, SequenceOrder, decode, encode,
                          is_stale, load_schema_file, rank_group_id, read_properties)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def batch(sequence):
    return {"sequence": sequence, "batchId": f"t-{sequence}"}


class SequenceOrderTest(unittest.TestCase):

    def test_releases_batches_in_sequence_order_once_the_first_is_known(self):
        clock = FakeClock()
        order = SequenceOrder(wait=2.0, clock=clock, next_sequence=4)
        order.push(batch(5), "m5")
        self.assertIsNone(order.pop(), "5 waits for 4")
        order.push(batch(4), "m4")
        self.assertEqual(order.pop(), (batch(4), "m4"))
        self.assertEqual(order.pop(), (batch(5), "m5"))
        self.assertIsNone(order.pop())

    def test_a_start_in_the_middle_waits_then_takes_the_smallest(self):
        clock = FakeClock()
        order = SequenceOrder(wait=2.0, clock=clock)
        order.push(batch(9), None)
        order.push(batch(8), None)
        self.assertIsNone(order.pop(), "the first sequence is not known yet")
        clock.now = 2.5
        self.assertEqual(order.pop()[0]["sequence"], 8)
        self.assertEqual(order.pop()[0]["sequence"], 9)

    def test_a_batch_released_before_is_dropped(self):
        order = SequenceOrder(wait=2.0, clock=FakeClock(), next_sequence=0)
        order.push(batch(0))
        order.pop()
        self.assertFalse(order.push(batch(0)))
        self.assertEqual(len(order), 0)

    def test_a_gap_is_given_up_after_the_wait_and_recorded(self):
        clock = FakeClock()
        order = SequenceOrder(wait=2.0, clock=clock, next_sequence=3)
        order.push(batch(5))
        self.assertIsNone(order.pop())
        clock.now = 3.0
        self.assertEqual(order.pop()[0]["sequence"], 5)
        self.assertEqual(order.skipped, [(3, 4)])


class CodecTest(unittest.TestCase):

    def test_feedback_with_an_evaluation_round_round_trips(self):
        raw = load_schema_file(os.path.join(DEFAULT_SCHEMA_DIR, "TrainerFeedback.avsc"),
                               DEFAULT_SCHEMA_DIR)
        schema = Schema(raw)
        datum = {
            "trainerId": "t1", "batchId": "t1-7",
            "exampleLosses": {"a": 0.5}, "clusterLosses": {"3": 1.25}, "groupLosses": {},
            "evaluation": {"round": 2, "validationLoss": 0.75, "groupLosses": {"lang=en": 0.5},
                           "clusterLosses": {}, "trainedGroupCounts": {"lang=en": 32},
                           "trainedClusterCounts": {"3": 32}},
            "sentAt": 1700000000123,
        }
        out = io.BytesIO()
        encode(schema.root, datum, out)
        back = decode(schema.root, io.BytesIO(out.getvalue()))
        self.assertEqual(back["evaluation"]["trainedGroupCounts"], {"lang=en": 32})
        self.assertEqual(back["evaluation"]["validationLoss"], 0.75)
        self.assertEqual(back["exampleLosses"], {"a": 0.5})
        # fields left out take their defaults
        self.assertEqual(back["exampleLearnability"], {})
        self.assertEqual(back["sentAt"], 1700000000123)

    def test_a_packed_embedding_decodes_as_bytes_of_little_endian_float32(self):
        raw = load_schema_file(os.path.join(DEFAULT_SCHEMA_DIR, "common", "BatchExample.avsc"),
                               DEFAULT_SCHEMA_DIR)
        schema = Schema(raw)
        floats = [0.6, -0.8, 0.0, 1.5]
        packed = struct.pack("<4f", *floats)
        out = io.BytesIO()
        encode(schema.root, {"id": "a", "clusterId": 3, "packed": packed}, out)
        back = decode(schema.root, io.BytesIO(out.getvalue()))
        self.assertIsNone(back["embedding"])
        self.assertEqual(back["packed"], packed)
        # what numpy.frombuffer(back["packed"], "<f4") reads
        self.assertEqual(list(struct.unpack("<4f", back["packed"])),
                         [struct.unpack("<f", struct.pack("<f", v))[0] for v in floats])

    def test_the_loader_inlines_referenced_named_types(self):
        raw = load_schema_file(os.path.join(DEFAULT_SCHEMA_DIR, "TrainerFeedback.avsc"),
                               DEFAULT_SCHEMA_DIR)
        evaluation = next(f for f in raw["fields"] if f["name"] == "evaluation")
        self.assertEqual(evaluation["type"][1]["name"], "EvaluationRound")

    def test_a_datum_that_fits_no_branch_is_a_clear_error(self):
        schema = Schema(["null", "string"])
        with self.assertRaises(ValueError):
            encode(schema.root, 12, io.BytesIO())


class PropertiesTest(unittest.TestCase):

    def test_reads_what_java_properties_store_writes(self):
        with tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False) as f:
            f.write("#comment\nschema.registry.url=http\\://127.0.0.1\\:8081/apis/ccompat/v7\n"
                    "bootstrap.servers=127.0.0.1\\:9092\n")
        try:
            p = read_properties(f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(p["schema.registry.url"], "http://127.0.0.1:8081/apis/ccompat/v7")
        self.assertEqual(p["bootstrap.servers"], "127.0.0.1:9092")


class RankGroupTest(unittest.TestCase):

    def test_each_rank_commits_in_a_group_of_its_own(self):
        self.assertEqual(rank_group_id("t1"), "trainer-t1")
        self.assertEqual(rank_group_id("t1", rank=0), "trainer-t1-rank0")
        self.assertEqual(rank_group_id("t1", rank=3), "trainer-t1-rank3")
        self.assertEqual(rank_group_id("t1", group_id="mine", rank=3), "mine")

    def test_a_shard_of_another_rank_count_is_stale(self):
        self.assertTrue(is_stale({"ranks": 3}, 2))
        self.assertFalse(is_stale({"ranks": 2}, 2))
        # a batch written before ranks existed is one rank's
        self.assertFalse(is_stale({}, 1))
        self.assertTrue(is_stale({}, 2))
        self.assertFalse(is_stale({"ranks": 3}, None))


if __name__ == "__main__":
    unittest.main()
