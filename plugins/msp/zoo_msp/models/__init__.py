"""MSP models (``seqae``) and their building blocks (``blocks``, ``networks``)."""

from zoo_msp.models.seqae import (CPC, MSP, MSPFixedBlocks, MSPHigherOrder, NeuralM,
                                  NeuralMLatentPredict, NeuralTransition, SimCLR)

__all__ = ["MSP", "MSPHigherOrder", "MSPFixedBlocks", "NeuralM", "NeuralMLatentPredict",
           "NeuralTransition", "CPC", "SimCLR"]
