"""Evaluation of face clustering (not part of the installed package).

``metrics`` (BCubed, pairwise), ``baselines`` (Chinese Whispers, DBSCAN), ``synthetic``
(dlib-like embeddings), ``photos`` (labelled photo folders -> cached embeddings through the
project's own face pipeline) and ``incremental`` (photos arriving in batches).
"""
