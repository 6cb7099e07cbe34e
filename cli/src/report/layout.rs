//! The picture's boxes: VPCs hold availability zones, zones hold subnets, subnets hold what
//! runs in them; what runs outside any VPC gets a box of its own below. Computed here, in
//! whole pixels, so the HTML only draws; the tests check that no two boxes overlap and that
//! every box sits inside its parent.

use serde::Serialize;

/// Width of a resource box.
const ITEM_W: u32 = 232;
/// Height of a resource box.
const ITEM_H: u32 = 46;
/// Space between sibling boxes.
const GAP: u32 = 10;
/// Padding inside a container.
const PAD: u32 = 12;
/// Header of a subnet (name and CIDR).
const SUBNET_HEAD: u32 = 40;
/// Header of a zone.
const AZ_HEAD: u32 = 30;
/// Header of a VPC.
const VPC_HEAD: u32 = 46;
/// Space around the drawing.
const MARGIN: u32 = 16;
/// Roughly the width of one character of the labels (13px, bold), to cut long names.
const CHAR_W: u32 = 8;
/// Roughly the width of one character of the second lines (11.5px).
const DETAIL_CHAR_W: u32 = 6;

/// What the layout needs to know about a VPC.
#[derive(Debug, Clone, Default)]
pub struct VpcIn {
    /// Label (name and CIDR).
    pub label: String,
    /// Second line.
    pub detail: String,
    /// Zones in order.
    pub azs: Vec<AzIn>,
}

/// A zone.
#[derive(Debug, Clone, Default)]
pub struct AzIn {
    /// Label.
    pub label: String,
    /// Subnets in order (public first).
    pub subnets: Vec<SubnetIn>,
}

/// A subnet.
#[derive(Debug, Clone, Default)]
pub struct SubnetIn {
    /// Label.
    pub label: String,
    /// Second line (CIDR, public/private).
    pub detail: String,
    /// `subnet-public` or `subnet-private`.
    pub class: String,
    /// Change mark.
    pub change: Option<&'static str>,
    /// What runs in it.
    pub items: Vec<ItemIn>,
}

/// A resource box.
#[derive(Debug, Clone, Default)]
pub struct ItemIn {
    /// Label (the resource's name).
    pub label: String,
    /// Second line.
    pub detail: String,
    /// CSS class: the workload's kind, plus `public` when internet-facing.
    pub class: String,
    /// Change mark.
    pub change: Option<&'static str>,
}

/// One drawn box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rect {
    /// Left.
    pub x: u32,
    /// Top.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
    /// The enclosing box (index into the list), if any.
    pub parent: Option<usize>,
    /// CSS class.
    pub class: String,
    /// The full label (shown on hover).
    pub title: String,
    /// The label, cut to fit.
    pub label: String,
    /// The second line, cut to fit.
    pub detail: String,
    /// Where the label's baseline starts.
    pub text_x: u32,
    /// The label's baseline.
    pub label_y: u32,
    /// The second line's baseline.
    pub detail_y: u32,
    /// Change mark (`added`, `replaced`, `modified`).
    pub change: Option<&'static str>,
}

/// The laid-out picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagram {
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Boxes, parents before their children.
    pub boxes: Vec<Rect>,
}

fn cut(s: &str, w: u32, char_w: u32) -> String {
    let max = (w.saturating_sub(2 * PAD) / char_w).max(4) as usize;
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[allow(clippy::too_many_arguments)]
fn rect(
    boxes: &mut Vec<Rect>,
    (x, y, w, h): (u32, u32, u32, u32),
    parent: Option<usize>,
    class: &str,
    label: &str,
    detail: &str,
    head: u32,
    change: Option<&'static str>,
) -> usize {
    let label_y = if head >= 40 { y + 18 } else { y + 19 };
    boxes.push(Rect {
        x,
        y,
        w,
        h,
        parent,
        class: class.to_owned(),
        title: if detail.is_empty() {
            label.to_owned()
        } else {
            format!("{label} ({detail})")
        },
        label: cut(label, w, CHAR_W),
        detail: cut(detail, w, DETAIL_CHAR_W),
        text_x: x + 8,
        label_y,
        detail_y: label_y + 16,
        change,
    });
    boxes.len() - 1
}

/// Lays out the VPCs side by side in rows of zones, and the regional items below.
pub fn layout(vpcs: &[VpcIn], regional: &[ItemIn]) -> Diagram {
    let mut boxes = Vec::new();
    let most = vpcs
        .iter()
        .flat_map(|v| &v.azs)
        .flat_map(|a| &a.subnets)
        .map(|s| s.items.len())
        .max()
        .unwrap_or(0);
    let cols: u32 = if most >= 3 { 2 } else { 1 };
    let subnet_w = 2 * PAD + cols * ITEM_W + (cols - 1) * GAP;
    let az_w = 2 * PAD + subnet_w;
    let mut y = MARGIN;
    let mut width = 0;
    for v in vpcs {
        let rows = v.azs.iter().map(|a| a.subnets.len()).max().unwrap_or(0);
        // Subnets in the same row line up across zones: the row is as tall as its tallest.
        let row_h: Vec<u32> = (0..rows)
            .map(|r| {
                v.azs
                    .iter()
                    .filter_map(|a| a.subnets.get(r))
                    .map(|s| {
                        let n = s.items.len() as u32;
                        let lines = n.div_ceil(cols);
                        SUBNET_HEAD + lines * (ITEM_H + GAP) + PAD.saturating_sub(GAP).max(4)
                    })
                    .max()
                    .unwrap_or(SUBNET_HEAD)
            })
            .collect();
        let rows_h: u32 = row_h.iter().sum::<u32>() + GAP * (rows as u32).saturating_sub(1);
        let az_h = AZ_HEAD + rows_h + PAD;
        let n_az = v.azs.len() as u32;
        let vpc_w = (2 * PAD + n_az * az_w + n_az.saturating_sub(1) * GAP).max(ITEM_W + 2 * PAD);
        let vpc_h = VPC_HEAD + if n_az > 0 { az_h } else { 0 } + PAD;
        let vpc = rect(
            &mut boxes,
            (MARGIN, y, vpc_w, vpc_h),
            None,
            "vpc",
            &v.label,
            &v.detail,
            VPC_HEAD,
            None,
        );
        for (i, a) in v.azs.iter().enumerate() {
            let ax = MARGIN + PAD + i as u32 * (az_w + GAP);
            let ay = y + VPC_HEAD;
            let az = rect(
                &mut boxes,
                (ax, ay, az_w, az_h),
                Some(vpc),
                "az",
                &a.label,
                "",
                AZ_HEAD,
                None,
            );
            let mut sy = ay + AZ_HEAD;
            for (r, s) in a.subnets.iter().enumerate() {
                let sx = ax + PAD;
                let sh = row_h[r];
                let sn = rect(
                    &mut boxes,
                    (sx, sy, subnet_w, sh),
                    Some(az),
                    &s.class,
                    &s.label,
                    &s.detail,
                    SUBNET_HEAD,
                    s.change,
                );
                for (k, it) in s.items.iter().enumerate() {
                    let k = k as u32;
                    let ix = sx + PAD + (k % cols) * (ITEM_W + GAP);
                    let iy = sy + SUBNET_HEAD + (k / cols) * (ITEM_H + GAP);
                    rect(
                        &mut boxes,
                        (ix, iy, ITEM_W, ITEM_H),
                        Some(sn),
                        &it.class,
                        &it.label,
                        &it.detail,
                        ITEM_H,
                        it.change,
                    );
                }
                sy += sh + GAP;
            }
        }
        width = width.max(vpc_w);
        y += vpc_h + 2 * GAP;
    }
    if !regional.is_empty() {
        let w = width.max(2 * PAD + 2 * ITEM_W + GAP);
        let per_row = ((w - 2 * PAD + GAP) / (ITEM_W + GAP)).max(1);
        let lines = (regional.len() as u32).div_ceil(per_row);
        let h = VPC_HEAD + lines * (ITEM_H + GAP) + PAD;
        let reg = rect(
            &mut boxes,
            (MARGIN, y, w, h),
            None,
            "regional",
            "Regional services (outside any VPC)",
            "",
            VPC_HEAD,
            None,
        );
        for (k, it) in regional.iter().enumerate() {
            let k = k as u32;
            let ix = MARGIN + PAD + (k % per_row) * (ITEM_W + GAP);
            let iy = y + VPC_HEAD + (k / per_row) * (ITEM_H + GAP);
            rect(
                &mut boxes,
                (ix, iy, ITEM_W, ITEM_H),
                Some(reg),
                &it.class,
                &it.label,
                &it.detail,
                ITEM_H,
                it.change,
            );
        }
        width = width.max(w);
        y += h + 2 * GAP;
    }
    Diagram {
        width: width + 2 * MARGIN,
        height: y.saturating_sub(2 * GAP) + MARGIN,
        boxes,
    }
}

/// Checks the layout's two promises: every box lies inside its parent (and the canvas), and
/// no two boxes overlap unless one contains the other. The message names the boxes.
pub fn check(d: &Diagram) -> Result<(), String> {
    let inside = |c: &Rect, p: &Rect| {
        c.x >= p.x && c.y >= p.y && c.x + c.w <= p.x + p.w && c.y + c.h <= p.y + p.h
    };
    for (i, b) in d.boxes.iter().enumerate() {
        if b.x + b.w > d.width || b.y + b.h > d.height {
            return Err(format!("box {i} `{}` leaves the canvas", b.title));
        }
        if let Some(p) = b.parent {
            if p >= i || !inside(b, &d.boxes[p]) {
                return Err(format!(
                    "box {i} `{}` is not inside its parent `{}`",
                    b.title, d.boxes[p].title
                ));
            }
        }
    }
    let ancestor = |mut c: usize, a: usize| {
        while let Some(p) = d.boxes[c].parent {
            if p == a {
                return true;
            }
            c = p;
        }
        false
    };
    for i in 0..d.boxes.len() {
        for j in i + 1..d.boxes.len() {
            let (a, b) = (&d.boxes[i], &d.boxes[j]);
            let overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            if overlap && !ancestor(j, i) && !ancestor(i, j) {
                return Err(format!("boxes `{}` and `{}` overlap", a.title, b.title));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: usize) -> ItemIn {
        ItemIn {
            label: format!("Item{n}"),
            detail: "detail".into(),
            class: "service".into(),
            change: None,
        }
    }

    fn subnet(items: usize, public: bool) -> SubnetIn {
        SubnetIn {
            label: "Subnet".into(),
            detail: "10.0.0.0/24".into(),
            class: if public {
                "subnet-public"
            } else {
                "subnet-private"
            }
            .into(),
            change: None,
            items: (0..items).map(item).collect(),
        }
    }

    fn vpc(azs: &[&[usize]]) -> VpcIn {
        VpcIn {
            label: "Vpc".into(),
            detail: "10.0.0.0/16".into(),
            azs: azs
                .iter()
                .enumerate()
                .map(|(i, subnets)| AzIn {
                    label: format!("AZ {}", i + 1),
                    subnets: subnets
                        .iter()
                        .enumerate()
                        .map(|(k, &n)| subnet(n, k == 0))
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_flagship_shape_has_no_overlap_and_nests() {
        // Two zones, a public and a private subnet each: ALB + NAT, service + database.
        let d = layout(&[vpc(&[&[2, 2], &[2, 2]])], &[]);
        check(&d).unwrap();
        // 1 VPC + 2 AZs + 4 subnets + 8 items.
        assert_eq!(d.boxes.len(), 15);
        let subnets: Vec<&Rect> = d
            .boxes
            .iter()
            .filter(|b| b.class.starts_with("subnet"))
            .collect();
        // Rows line up across zones.
        assert_eq!(subnets[0].y, subnets[2].y);
        assert_eq!(subnets[1].y, subnets[3].y);
        assert!(subnets[0].x < subnets[2].x);
    }

    #[test]
    fn uneven_zones_many_items_several_vpcs_and_regional_items_still_hold() {
        let shapes: Vec<Vec<VpcIn>> = vec![
            vec![],
            vec![vpc(&[])],
            vec![vpc(&[&[]])],
            vec![vpc(&[&[7, 0, 1], &[1], &[0, 5]])],
            vec![vpc(&[&[1, 2]]), vpc(&[&[3], &[4], &[0], &[9, 9]])],
        ];
        for (i, vpcs) in shapes.iter().enumerate() {
            for regional in [0, 1, 5, 13] {
                let items: Vec<ItemIn> = (0..regional).map(item).collect();
                let d = layout(vpcs, &items);
                check(&d).unwrap_or_else(|e| panic!("shape {i} with {regional} regional: {e}"));
            }
        }
    }

    #[test]
    fn the_checker_finds_overlaps_and_escapes() {
        let mut d = layout(&[vpc(&[&[2], &[2]])], &[]);
        check(&d).unwrap();
        let last = d.boxes.len() - 1;
        d.boxes[last].x = d.boxes[last - 1].x;
        d.boxes[last].y = d.boxes[last - 1].y;
        assert!(check(&d).is_err(), "two items placed on each other");
        let mut d = layout(&[vpc(&[&[2], &[2]])], &[]);
        d.boxes[3].x = 0;
        assert!(check(&d).unwrap_err().contains("not inside"));
    }

    #[test]
    fn long_names_are_cut_to_the_box() {
        let s = cut(&"x".repeat(200), ITEM_W, CHAR_W);
        assert!(s.ends_with('…'));
        assert!(s.chars().count() as u32 * CHAR_W <= ITEM_W);
    }
}
