//! The plugin's memory allocator (feature `arena`, on by default): a bump arena inside the
//! module's initial memory, with the standard allocator behind it.
//!
//! Why: the host runs every call on a fresh instance, so nothing a plugin allocates
//! outlives the call, and the pooling allocator resets the instance's memory afterwards.
//! Rust's default wasm allocator (dlmalloc) never uses the initial memory: its first
//! allocation grows linear memory, and a grown memory costs the host two `mprotect` calls
//! (with the TLB shootdowns they bring) per call, more than a small rule's whole run. The
//! arena lives in `.bss`, inside the initial memory, so a call that stays within it never
//! grows memory.
//!
//! [`Arena::new`] is all zeros, which is what keeps the arena in `.bss`, covered by the
//! module's initial memory without a byte of it in the component: one non-zero field would
//! move the whole static into `.data`, a 256 KiB run of zeros in every plugin. Hence "no
//! last allocation" is written `last == next` rather than with a sentinel like `usize::MAX`.
//!
//! Frees and reallocations of the most recent allocation happen in place (which covers a
//! `Vec` or `String` being built); other frees are not reused until the call ends. Whatever
//! does not fit goes to the standard allocator, so a plugin can still use as much memory as
//! its limit allows.
//!
//! A plugin with its own `#[global_allocator]` turns the feature off:
//! `ordergate-guest = { version = "0.1", default-features = false }`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};

/// Size of the arena: enough for a rule that keeps every line of a 200-line order in full
/// (about 300 KiB with a `Vec` grown by doubling: beyond the arena it went to the standard
/// allocator, which grows memory in every call; measured in one run, 1 MiB made such a rule
/// 0.96× as long), and free for the rest: an untouched part of `.bss` costs nothing (zero
/// pages are never faulted in, and it adds no byte to the component).
const ARENA_BYTES: usize = 1 << 20;

#[repr(C, align(16))]
struct Bytes(UnsafeCell<[u8; ARENA_BYTES]>);

/// The bump allocator over [`ARENA_BYTES`] of `.bss`, falling back to [`System`].
pub struct Arena {
    bytes: Bytes,
    /// Offset of the first free byte.
    next: Cell<usize>,
    /// Offset of the most recent allocation, which may be freed or resized in place;
    /// equal to `next` when there is none (no live allocation starts at `next`: sizes are
    /// never zero), which keeps the empty arena all zeros.
    last: Cell<usize>,
}

// SAFETY: wasm32 plugins are single-threaded (the host offers no threads), so the cells are
// never accessed concurrently.
unsafe impl Sync for Arena {}

impl Arena {
    const fn new() -> Self {
        Self {
            bytes: Bytes(UnsafeCell::new([0; ARENA_BYTES])),
            next: Cell::new(0),
            last: Cell::new(0),
        }
    }

    fn base(&self) -> usize {
        self.bytes.0.get() as usize
    }

    fn offset_of(&self, ptr: *mut u8) -> Option<usize> {
        let offset = (ptr as usize).checked_sub(self.base())?;
        (offset < ARENA_BYTES).then_some(offset)
    }

    /// Bump-allocates `layout`, or `None` if the arena is full.
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        let base = self.base();
        let start = (base + self.next.get()).checked_next_multiple_of(layout.align())? - base;
        let end = start.checked_add(layout.size())?;
        if end > ARENA_BYTES {
            return None;
        }
        self.next.set(end);
        self.last.set(start);
        Some((base + start) as *mut u8)
    }
}

// SAFETY: every pointer handed out is either inside the arena, aligned and not handed out
// again while live (the bump only moves forward, or back over the freed last allocation),
// or comes from `System` and goes back to it.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(ptr) => ptr,
            // SAFETY: forwarded with the caller's layout.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match self.offset_of(ptr) {
            Some(offset) => {
                if offset == self.last.get() {
                    // `last == next` now: no allocation to free or grow in place.
                    self.next.set(offset);
                }
            }
            // SAFETY: not in the arena, so `System` allocated it with this layout.
            None => unsafe { System.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if let Some(offset) = self.offset_of(ptr) {
            let end = offset + new_size;
            if offset == self.last.get() && end <= ARENA_BYTES {
                self.next.set(end);
                return ptr;
            }
            // SAFETY: `layout` with the new size is valid per `realloc`'s contract.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: as `alloc`.
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                // SAFETY: both regions are valid for the smaller size and do not overlap
                // (`new` is past the old allocation or outside the arena).
                unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
                // SAFETY: `ptr` was allocated here with `layout`.
                unsafe { self.dealloc(ptr, layout) };
            }
            return new;
        }
        // SAFETY: not in the arena, so `System` allocated it with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: Arena = Arena::new();

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty arena on the heap, built there: `Box::new(Arena::new())` goes through the
    /// stack, which a debug build's test thread does not have room for.
    fn empty() -> Box<Arena> {
        // SAFETY: the empty arena is all zeros (see the module docs), as `new` spells it.
        unsafe { Box::<Arena>::new_zeroed().assume_init() }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn bumps_aligned_and_frees_or_grows_the_last_allocation_in_place() {
        let arena = empty();
        let base = arena.base();
        unsafe {
            let a = arena.alloc(layout(3, 1));
            assert_eq!(a as usize, base);
            let b = arena.alloc(layout(8, 8));
            assert_eq!(b as usize, base + 8, "aligned past `a`");
            // The last allocation grows in place...
            assert_eq!(arena.realloc(b, layout(8, 8), 64), b);
            assert_eq!(arena.next.get(), 8 + 64);
            // ...and its space is reused once freed.
            arena.dealloc(b, layout(64, 8));
            assert_eq!(arena.alloc(layout(16, 8)) as usize, base + 8);
        }
    }

    #[test]
    fn an_earlier_allocation_moves_when_it_grows_and_keeps_its_bytes() {
        let arena = empty();
        unsafe {
            let a = arena.alloc(layout(4, 1));
            a.copy_from_nonoverlapping(b"abcd".as_ptr(), 4);
            let _b = arena.alloc(layout(4, 1));
            let moved = arena.realloc(a, layout(4, 1), 16);
            assert_eq!(moved as usize, arena.base() + 8);
            assert_eq!(std::slice::from_raw_parts(moved, 4), b"abcd");
        }
    }

    #[test]
    fn what_does_not_fit_goes_to_the_system_allocator_and_back() {
        let arena = empty();
        unsafe {
            let big = arena.alloc(layout(ARENA_BYTES + 1, 8));
            assert!(arena.offset_of(big).is_none());
            assert_eq!(arena.next.get(), 0, "the arena is untouched");
            big.write_bytes(7, ARENA_BYTES + 1);
            let grown = arena.realloc(big, layout(ARENA_BYTES + 1, 8), 2 * ARENA_BYTES);
            assert_eq!(*grown.add(ARENA_BYTES), 7);
            arena.dealloc(grown, layout(2 * ARENA_BYTES, 8));
            // A small allocation that no longer fits in a full arena also goes to System.
            let fill = arena.alloc(layout(ARENA_BYTES, 1));
            assert_eq!(fill as usize, arena.base());
            let spill = arena.alloc(layout(1, 1));
            assert!(arena.offset_of(spill).is_none());
            arena.dealloc(spill, layout(1, 1));
        }
    }
}
