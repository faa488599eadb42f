import CSystem

/// The allocator, where Foundation has no word for it.
package enum Memory {
    /// Gives memory the allocator holds free back to the system: glibc keeps it per arena, so a
    /// parse of megabytes on one thread would otherwise stay resident in that thread's arena.
    package static func returnFreed() {
        _ = csystem_malloc_trim()
    }
}
