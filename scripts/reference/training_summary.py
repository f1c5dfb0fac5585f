"""Prints the lines of scripts/bench-training.sh from the JSON objects of `cairn train demo` and the Flower baseline."""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def compare(cairn, flower):
    c, f = load(cairn), load(flower)
    print(f"accuracy: cairn {c['accuracy_federated']:.4f}, flower {f['accuracy']:.4f} "
          f"({100 * (c['accuracy_federated'] - f['accuracy']):+.2f} points); centralized {c['accuracy_centralized']:.4f} "
          f"(federated {100 * (c['accuracy_federated'] - c['accuracy_centralized']):+.2f} points)")
    print(f"seconds per round: cairn {c['seconds_per_round']:.3f}, flower {f['seconds_per_round']:.3f} "
          f"(cairn/flower {c['seconds_per_round'] / f['seconds_per_round']:.1f}x)")
    plain = c["plain_fedavg_bytes_per_participant_per_round"]
    print(f"bytes per participant per round: cairn {c['bytes_per_participant_per_round']}, plain FedAvg {plain} "
          f"({c['bytes_per_participant_per_round'] / plain:.2f}x), flower {f['bytes_per_client_per_round']}")


def dp(path):
    c = load(path)
    print(f"epsilon {c['epsilon']:.2f} (noise multiplier {c['noise_multiplier']}): federated {c['accuracy_federated']:.4f}, "
          f"centralized without DP {c['accuracy_centralized']:.4f} ({100 * (c['accuracy_federated'] - c['accuracy_centralized']):+.2f} points)")


def dropout(path):
    c = load(path)
    print(f"a participant dropped out of round 2: {c['dropped_out']} dropout(s), job finished, model {c['model_id']}, "
          f"federated {c['accuracy_federated']:.4f}")


if __name__ == "__main__":
    {"compare": compare, "dp": dp, "dropout": dropout}[sys.argv[1]](*sys.argv[2:])
