"""Write to the audit log, and name its actions in Vietnamese. Callers own the transaction."""
from typing import Any

from core.extensions import db
from core.models import AuditEntry


def record(actor, action: str, target_type: str, target_id, summary: str = "",
           details: dict[str, Any] | None = None, *, now=None) -> AuditEntry:
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        summary=summary,
        details=details or {},
    )
    if now is not None:
        entry.at = now
    db.session.add(entry)
    return entry


ACTION_LABELS = {
    "units_imported": "Nhập đơn vị", "members_imported": "Nhập đoàn viên", "questions_imported": "Nhập câu hỏi",
    "study_sessions_imported": "Nhập buổi học tập", "unit_kind_created": "Thêm loại đơn vị",
    "role_granted": "Cấp quyền", "role_revoked": "Thu quyền", "password_reset": "Cấp lại mật khẩu",
    "account_reset_refused": "Từ chối cấp lại mật khẩu", "account_disable_refused": "Từ chối khóa tài khoản",
    "members_activated": "Cấp tài khoản đoàn viên", "certificate_revoked": "Thu hồi giấy chứng nhận",
    "certificate_issued_offline": "Cấp giấy chứng nhận (học trực tiếp)",
    "certificate_issuer_saved": "Sửa mẫu giấy chứng nhận", "contest_participant_excluded": "Loại người dự thi",
    "contest_prizes_awarded": "Trao giải", "contest_prizes_cancelled": "Hủy kết quả trao giải",
    "contest_figure_set": "Nhập con số thực tế", "contest_frozen": "Tạm dừng bảng xếp hạng",
    "contest_results_published": "Công bố kết quả", "contest_created": "Tạo cuộc thi",
    "contest_updated": "Sửa cuộc thi", "contest_round_added": "Thêm tuần thi", "contest_round_updated": "Sửa tuần thi",
    "contest_division_added": "Thêm bảng", "contest_division_removed": "Xóa bảng",
    "report_submitted": "Gửi báo cáo", "headcount_declared": "Khai báo số đoàn viên",
    "headcount_removed": "Xóa khai báo số đoàn viên", "study_session_recorded": "Ghi buổi học tập",
    "study_session_updated": "Sửa buổi học tập", "study_session_deleted": "Xóa buổi học tập",
    "api_token_created": "Tạo khóa API", "api_token_revoked": "Thu hồi khóa API",
    "topic_created": "Tạo chuyên đề", "topic_updated": "Sửa chuyên đề", "topic_cloned": "Nhân bản chuyên đề",
    "topic_published": "Xuất bản chuyên đề", "topic_unpublished": "Gỡ chuyên đề", "topic_assigned": "Giao chuyên đề",
    "topic_unassigned": "Bỏ giao chuyên đề", "lesson_created": "Tạo bài học", "lesson_updated": "Sửa bài học",
    "lesson_published": "Xuất bản bài học", "lesson_unpublished": "Gỡ bài học", "question_created": "Tạo câu hỏi",
    "question_updated": "Sửa câu hỏi", "question_published": "Dùng câu hỏi", "question_unpublished": "Ngừng dùng câu hỏi",
    "lamtheo_plan_saved": "Ghi kế hoạch làm theo", "lamtheo_suggestion_added": "Gợi ý việc làm theo",
    "lamtheo_commitments_confirmed": "Xác nhận đăng ký làm theo", "lamtheo_review_opened": "Mở sơ kết, tổng kết",
    "lamtheo_commended": "Biểu dương, cấp giấy khen",
}
# The filters of the audit page: what administrators look for.
ACTION_GROUPS = {
    "imports": ("Nhập dữ liệu", ["units_imported", "members_imported", "questions_imported",
                                 "study_sessions_imported"]),
    "roles": ("Phân quyền và tài khoản", ["role_granted", "role_revoked", "password_reset", "account_reset_refused",
                                          "account_disable_refused", "members_activated",
                                          "api_token_created", "api_token_revoked"]),
    "certificates": ("Giấy chứng nhận", ["certificate_revoked", "certificate_issued_offline",
                                         "certificate_issuer_saved"]),
    "contests": ("Cuộc thi", [a for a in ACTION_LABELS if a.startswith("contest_")]),
    "reports": ("Báo cáo, buổi học, số đoàn viên", ["report_submitted", "headcount_declared", "headcount_removed",
                                                    "study_session_recorded", "study_session_updated",
                                                    "study_session_deleted"]),
    "lamtheo": ("Làm theo Bác", [a for a in ACTION_LABELS if a.startswith("lamtheo_")]),
    "content": ("Nội dung học tập", [a for a in ACTION_LABELS if a.split("_")[0] in ("topic", "lesson", "question")]),
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
