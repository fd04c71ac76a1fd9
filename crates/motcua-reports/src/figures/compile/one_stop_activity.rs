//! `one_stop_activity`: the seed's report (báo cáo tình hình tổ chức và hoạt động của Bộ phận Một
//! cửa). Its text cites every section and its appendix lists the staff per desk.

use super::Section;

/// Every section: the text cites them all.
pub(super) const SECTIONS: &[Section] = Section::ALL;
