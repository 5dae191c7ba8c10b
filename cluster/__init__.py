"""Launch and operate OPTIX: the ``optix`` command, local and cluster start-up, batch jobs."""
