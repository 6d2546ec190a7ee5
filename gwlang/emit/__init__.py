"""Emitters: the checked site model to the files hosts and guests read."""
