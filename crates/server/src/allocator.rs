//! The global allocator: mimalloc, called through its plain entry points
//! whenever a plain block already has the alignment asked for.
//!
//! The `mimalloc` crate's `GlobalAlloc` passes every request to
//! `mi_malloc_aligned`, and mimalloc 3 serves that from a size class's
//! free list only while the page's local free list has a block ready; the
//! other times (a page whose blocks were freed by the other thread, any
//! request over 1 KiB) it takes the aligned slow path, which over-allocates
//! and cost a metadata update about 3 % of its instructions (callgrind: a
//! fifth of its ~80 allocations went that way, at ~200 instructions each).
//! The fix upstream is open (purpleprotocol/mimalloc_rust#170); until it
//! lands, this is the same dispatch on `libmimalloc-sys`.
//!
//! Why plain calls are safe for `align <= 8`: every mimalloc block is at
//! least 8-byte aligned (size classes are multiples of 8 and a page's first
//! block is 16-aligned), which is `MI_MAX_ALIGN_SIZE`'s guarantee and what
//! `malloc` promises. Larger alignments keep the aligned calls.

#![allow(unsafe_code)] // A `GlobalAlloc` is an unsafe trait over FFI calls.

use libmimalloc_sys as ffi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Alignment every plain mimalloc block has.
const PLAIN_ALIGN: usize = 8;

/// mimalloc as the global allocator (see the module docs).
pub struct MiMalloc;

// SAFETY: each method forwards to the mimalloc call with the same contract,
// and plain calls are used only where their alignment guarantee covers
// `layout.align()`.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            ffi::mi_malloc(layout.size()) as *mut u8
        } else {
            ffi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            ffi::mi_zalloc(layout.size()) as *mut u8
        } else {
            ffi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        ffi::mi_free(ptr as *mut c_void);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            ffi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            ffi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Allocate, fill, grow and free blocks of many sizes and alignments
    /// (plain and aligned paths), checking alignment and contents.
    #[test]
    fn blocks_are_aligned_and_keep_their_contents() {
        let a = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in [1, 3, 8, 24, 48, 100, 1000, 1025, 5000, 70_000] {
                let size = size.max(align);
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size} align {align}");
                    std::ptr::write_bytes(p, 0xAB, size);
                    let grown = a.realloc(p, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "realloc {size} align {align}");
                    assert!((0..size).all(|i| *grown.add(i) == 0xAB), "contents kept");
                    a.dealloc(grown, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zalloc {size} align {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0), "zeroed");
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
