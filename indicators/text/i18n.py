"""Interface strings in Vietnamese (first language) and English (second)."""
from __future__ import annotations

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"vi": "Theo dõi chỉ tiêu y tế đến 2030", "en": "Health targets to 2030"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "page_locality": {"vi": "Địa phương", "en": "Locality"},
    "illustrative_notice": {
        "vi": "**Dữ liệu minh họa** – các số liệu báo cáo đang hiển thị là số tự tạo để xem thử, "
              "không phải số liệu thực của địa phương. Chỉ tiêu và đường cơ sở lấy từ văn bản kế hoạch.",
        "en": "**Illustrative data** – the reported values shown are made up for a demonstration, "
              "not the locality's real figures. Targets and baselines come from the plan documents.",
    },
    "illustrative_short": {"vi": "Dữ liệu minh họa", "en": "Illustrative data"},
    "province": {"vi": "Tỉnh / thành phố", "en": "Province / city"},
    "commune_search": {"vi": "Tìm xã / phường (gõ có dấu hoặc không dấu)",
                       "en": "Search a commune / ward (with or without diacritics)"},
    "commune": {"vi": "Xã / phường", "en": "Commune / ward"},
    "whole_province": {"vi": "— Toàn tỉnh / thành phố —", "en": "— Whole province —"},
    "target_year": {"vi": "Năm mục tiêu", "en": "Target year"},
    "no_targets": {"vi": "Chưa có kế hoạch nào có chỉ tiêu cho {name} trong cơ sở dữ liệu.",
                   "en": "No plan with targets for {name} is in the database yet."},
    "has_targets": {"vi": "Địa phương đã có chỉ tiêu: {names}.", "en": "Localities with targets: {names}."},
    "no_match": {"vi": "Không tìm thấy xã/phường nào khớp với “{q}” trong {province}.",
                 "en": "No commune or ward matches “{q}” in {province}."},
    "latest": {"vi": "Mới nhất", "en": "Latest"},
    "target": {"vi": "Mục tiêu", "en": "Target"},
    "baseline": {"vi": "Đầu vào", "en": "Baseline"},
    "projected": {"vi": "Dự báo", "en": "Projected"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "summary": {"vi": "Tóm tắt", "en": "Summary"},
    "no_value": {"vi": "Chưa có số liệu báo cáo", "en": "No reported value yet"},
}


def t(key: str, lang: str = "vi", **kwargs) -> str:
    """The string for `key` in `lang` (Vietnamese when missing), formatted with kwargs."""
    entry = STRINGS[key]
    return entry.get(lang, entry["vi"]).format(**kwargs)


# Short column labels for wide tables (the full name is the column's tooltip).
INDICATOR_SHORT = {
    "bhyt_coverage": "Tham gia BHYT", "doctors_per_10k": "Bác sĩ/10.000 dân", "life_expectancy": "Tuổi thọ TB",
    "healthy_life_years": "Năm sống khỏe", "epi_vaccination": "Tiêm chủng MR",
    "commune_health_criteria": "Xã đạt TCQG y tế", "commune_station_standard": "TYT đạt chuẩn",
    "station_with_doctor": "TYT có bác sĩ", "village_health_worker": "Thôn có NVYT",
    "village_collaborator": "Thôn có CTV y tế", "primary_care_bhyt": "KCB ban đầu BHYT",
    "health_managed": "Được quản lý SK", "high_risk_checked": "Nguy cơ cao được khám",
    "ehr_coverage": "Hồ sơ SK điện tử", "emr_hospitals": "BV bệnh án điện tử",
    "private_beds_share": "Giường ngoài công lập", "bhyt_visits_growth": "Tăng lượt KCB BHYT",
    "doctors_added": "Bác sĩ bổ sung", "epidemic_response": "Dịch xử lý kịp thời",
    "food_business_inspected": "Cơ sở TP được kiểm tra", "children_health_managed": "Trẻ được quản lý SK",
    "students_fitness_checked": "HS kiểm tra thể lực", "health_info_access": "Tiếp cận thông tin SK",
    "under5_malnutrition": "SDD trẻ < 5 tuổi", "under5_stunting": "Thấp còi trẻ < 5 tuổi",
    "infant_mortality": "Tử vong trẻ < 1 tuổi", "under5_mortality": "Tử vong trẻ < 5 tuổi",
}


def indicator_short(code: str, full_name: str) -> str:
    return INDICATOR_SHORT.get(code, full_name)
