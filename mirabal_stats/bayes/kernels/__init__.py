"""Compiled likelihood kernels (numba) and the PyTensor Ops that expose them to PyMC samplers.

Importing this package imports numba and PyTensor; the rest of the library imports it lazily.
"""
