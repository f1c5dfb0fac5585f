"""FedAvg over every data owner each round, through Flower's workflows: SecAgg+ (four shares, any three rebuild a
dropped owner's masks) or plain. Writes each round's start and end (the server's monotonic clock) and the final model
to the data folder."""
import json
import os
import time

import numpy as np
from flwr.common import Context, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server import LegacyContext, ServerApp, ServerConfig
from flwr.server.strategy import FedAvg
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

app = ServerApp()


class TimedFedAvg(FedAvg):
    def __init__(self, out, **kwargs):
        super().__init__(**kwargs)
        self.out = out
        self.rounds = {}

    def configure_fit(self, server_round, parameters, client_manager):
        self.rounds[server_round] = [time.monotonic(), None, 0]
        return super().configure_fit(server_round, parameters, client_manager)

    def aggregate_fit(self, server_round, results, failures):
        aggregated = super().aggregate_fit(server_round, results, failures)
        self.rounds[server_round][1:] = [time.monotonic(), len(results)]
        if aggregated[0] is not None:
            np.save(os.path.join(self.out, "final.npy"), parameters_to_ndarrays(aggregated[0])[0])
        with open(os.path.join(self.out, "rounds.json"), "w") as f:
            json.dump(self.rounds, f)
        return aggregated


@app.main()
def main(grid, context: Context):
    out = context.run_config["data-dir"]
    initial = np.load(os.path.join(out, "initial.npy"))
    strategy = TimedFedAvg(out, fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=4, min_available_clients=4,
                           initial_parameters=ndarrays_to_parameters([initial]))
    legacy = LegacyContext(context=context, config=ServerConfig(num_rounds=int(context.run_config["num-server-rounds"])),
                           strategy=strategy)
    if context.run_config["secagg"]:
        DefaultWorkflow(fit_workflow=SecAggPlusWorkflow(num_shares=4, reconstruction_threshold=3))(grid, legacy)
    else:
        DefaultWorkflow()(grid, legacy)
