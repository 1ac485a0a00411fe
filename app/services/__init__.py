"""Use-cases shared by the GUI, the CLI, the scheduler and the cloud runner."""
