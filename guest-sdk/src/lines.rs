//! Where a flattened cart line sits in the order's JSON.
//!
//! WIT has no recursive types, so nested cart lines reach a plugin flattened, both as
//! [`Item`]s (`Order::cart`, `Order::item`) and as [`Line`]s (`Order::lines`), each carrying
//! its `parent` index and its `position` among its siblings. [`line_pointer`] turns those
//! back into a JSON Pointer, whichever of the two a plugin read.

use crate::{Cart, Item, Line, Pointer};

/// A flattened cart line: an [`Item`] or a [`Line`].
pub trait Nested {
    /// The index (in the same flattened list) of the enclosing line; `None` at the top level.
    fn parent(&self) -> Option<u32>;
    /// The index among its siblings (in the enclosing line's `items`, or in `cart.items`).
    fn position(&self) -> u32;
}

impl Nested for Item {
    fn parent(&self) -> Option<u32> {
        self.parent
    }

    fn position(&self) -> u32 {
        self.position
    }
}

impl Nested for Line {
    fn parent(&self) -> Option<u32> {
        self.parent
    }

    fn position(&self) -> u32 {
        self.position
    }
}

/// The JSON Pointer of the flattened line `lines[index]` in the order, e.g.
/// `/cart/items/0/items/2` for the third child of the first top-level line.
///
/// `lines` is the whole flattened list, as `Order::lines` or `cart.items` give it: the
/// pointer follows `parent` links up to the top level and uses each line's `position`.
/// An index out of range (or a broken parent chain) gives `/cart/items/{index}`.
pub fn line_pointer<T: Nested>(lines: &[T], index: usize) -> String {
    let fallback = || {
        Pointer::root()
            .key("cart")
            .key("items")
            .index(index)
            .into_string()
    };
    let mut positions = Vec::new();
    let mut current = index;
    loop {
        // A chain longer than the cart has lines must contain a cycle.
        if positions.len() > lines.len() {
            return fallback();
        }
        let Some(line) = lines.get(current) else {
            return fallback();
        };
        positions.push(line.position() as usize);
        match line.parent() {
            Some(parent) => current = parent as usize,
            None => break,
        }
    }
    let mut pointer = Pointer::root().key("cart");
    for position in positions.iter().rev() {
        pointer = pointer.key("items").index(*position);
    }
    pointer.into_string()
}

impl Cart {
    /// The JSON Pointer of the flattened line `self.items[index]` in the order (see
    /// [`line_pointer`]).
    pub fn item_pointer(&self, index: usize) -> String {
        line_pointer(&self.items, index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(parent: Option<u32>, position: u32) -> Item {
        Item {
            parent,
            position,
            ..Item::default()
        }
    }

    fn line(parent: Option<u32>, position: u32) -> Line {
        Line {
            parent,
            position,
            ..Line::default()
        }
    }

    #[test]
    fn item_pointers_follow_parents() {
        let cart = Cart {
            items: vec![
                item(None, 0),
                item(None, 1),
                item(Some(0), 0),
                item(Some(0), 1),
                item(Some(3), 0),
            ],
            ..Cart::default()
        };
        assert_eq!(cart.item_pointer(1), "/cart/items/1");
        assert_eq!(cart.item_pointer(3), "/cart/items/0/items/1");
        assert_eq!(cart.item_pointer(4), "/cart/items/0/items/1/items/0");
        assert_eq!(cart.item_pointer(9), "/cart/items/9");
    }

    #[test]
    fn item_pointer_survives_a_parent_cycle() {
        let cart = Cart {
            items: vec![item(Some(1), 0), item(Some(0), 0)],
            ..Cart::default()
        };
        assert_eq!(cart.item_pointer(0), "/cart/items/0");
    }

    #[test]
    fn line_pointers_follow_parents() {
        let lines = [
            line(None, 0),
            line(None, 1),
            line(Some(1), 0),
            line(Some(2), 3),
        ];
        assert_eq!(line_pointer(&lines, 0), "/cart/items/0");
        assert_eq!(line_pointer(&lines, 2), "/cart/items/1/items/0");
        assert_eq!(line_pointer(&lines, 3), "/cart/items/1/items/0/items/3");
        assert_eq!(line_pointer(&lines, 4), "/cart/items/4");
        assert_eq!(line_pointer::<Line>(&[], 0), "/cart/items/0");
        // A parent past the end is a broken chain, not a panic.
        assert_eq!(line_pointer(&[line(Some(7), 2)], 0), "/cart/items/0");
    }
}
