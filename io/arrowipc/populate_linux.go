package arrowipc

import "syscall"

// mapPopulate makes mmap read a whole file in up front (see mapFile).
const mapPopulate = syscall.MAP_POPULATE
