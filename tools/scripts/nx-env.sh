# Sourced by the scripts: Nx settings that keep runs fast and offline on these machines
# (see ../shared/research/stack.md P2/P3: no daemon here, plugin isolation costs ~2 s a worker).
export NX_NO_CLOUD=true
export NX_ISOLATE_PLUGINS=false
export NX_TUI=false
export NX_DAEMON=false
