"""The text pipeline: normalise → language → indicators → lexicons → model → fusion → Assessment.

Pure computation: nothing here opens files, databases or sockets. Data (lexicons, gazetteer, emoji meanings)
is read by `crossingwatch.resources` and handed in.
"""
