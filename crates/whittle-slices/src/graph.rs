//! Strongly connected components (Tarjan), iterative so a long essential
//! chain cannot exhaust the stack. Components come out in post-order:
//! a component after everything it points to, which is the essentials
//! order Chisel uses.

/// The components of the graph `succ` (node `i` points to `succ[i]`),
/// visiting roots in index order and edges in the order given.
pub(crate) fn components(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = succ.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    // Each frame: node and how many of its edges were followed.
    let mut frames: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        frames.push((root, 0));
        while let Some(&mut (v, ref mut edge)) = frames.last_mut() {
            if *edge == 0 && index[v] == UNSEEN {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = succ[v].get(*edge) {
                *edge += 1;
                if index[w] == UNSEEN {
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::components;

    #[test]
    fn post_order_and_cycles() {
        // 0 -> 1 -> 2, 3 -> 4 -> 3
        let g = vec![vec![1], vec![2], vec![], vec![4], vec![3]];
        let c = components(&g);
        assert_eq!(c[0], vec![2]);
        assert_eq!(c[1], vec![1]);
        assert_eq!(c[2], vec![0]);
        let mut last = c[3].clone();
        last.sort_unstable();
        assert_eq!(last, vec![3, 4]);
    }
}
