"""Worked examples behind the ⓘ of each field, per explainable record type, in Chinese and English."""

from dataclasses import dataclass, field

from bluemap_explanations.commitments.texts import Language

Texts = dict[Language, str]


@dataclass(frozen=True)
class Guidance:
    """How to explain one record type: a label and an example answer for each field."""

    record_type: str
    label: Texts
    violation: Texts
    reasons: Texts
    corrective_actions: Texts
    monitoring: dict[str, Texts] = field(default_factory=dict)


GUIDANCE: dict[str, Guidance] = {
    g.record_type: g
    for g in (
        Guidance(
            "environmental_supervision",
            label={"zh": "环境监管记录", "en": "Environmental Supervision Records"},
            violation={
                "zh": "2020年2月，生态环境部强化监督定点帮扶检查发现，我公司喷漆车间废气收集处理设施"
                "（活性炭吸附装置）未正常运行，部分VOCs废气未经处理直接排放。",
                "en": "In February 2020 an intensified-supervision inspection by the Ministry of Ecology and "
                "Environment found that the exhaust treatment unit (activated-carbon adsorber) of our spray-painting "
                "workshop was not running, so part of the VOC exhaust was released untreated.",
            },
            reasons={
                "zh": "活性炭长期未按规定周期更换，吸附饱和；设备运行台账缺失，环保管理人员未能及时发现问题。",
                "en": "The activated carbon had not been replaced on schedule and was saturated; no operating log was "
                "kept, so our environmental staff did not notice the failure in time.",
            },
            corrective_actions={
                "zh": "已于2020年3月5日更换全部活性炭并委托第三方检测，VOCs排放浓度达标（检测报告编号：XXXX）；"
                "建立活性炭更换及设施运行台账，每月由EHS主管核查；对喷漆车间员工开展环保培训。",
                "en": "All activated carbon was replaced on 5 March 2020 and a third-party test confirmed compliant "
                "VOC concentrations (test report no. XXXX); a carbon-replacement and operating log is now kept and "
                "checked monthly by the EHS manager; spray-painting staff received environmental training.",
            },
        ),
        Guidance(
            "rectification_order",
            label={"zh": "整改通知", "en": "Rectification Orders"},
            violation={
                "zh": "西安市生态环境局责令我公司限期整改：危险废物贮存间未设置防渗漏措施，且未张贴危险废物识别标志。",
                "en": "The Xi'an Ecology and Environment Bureau ordered us to rectify within a deadline: the hazardous "
                "waste store had no leak-proofing and carried no hazardous waste signage.",
            },
            reasons={
                "zh": "贮存间为临时改建，建设时未按《危险废物贮存污染控制标准》设计；公司对标准要求理解不到位。",
                "en": "The store was a makeshift conversion not designed to the Standard for Pollution Control on "
                "Hazardous Waste Storage; we had misunderstood the standard's requirements.",
            },
            corrective_actions={
                "zh": "已按标准完成地面环氧防渗处理并设置导流沟和收集池，张贴识别标志；整改结果已于2020年4月"
                "报生态环境局验收通过，验收意见见附件。",
                "en": "The floor was sealed with epoxy, a drainage channel and collection sump were built and signage "
                "was posted; the bureau accepted the rectification in April 2020 (acceptance opinion attached).",
            },
        ),
        Guidance(
            "cleaner_production_audit",
            label={"zh": "清洁生产审核", "en": "Cleaner Production Audit"},
            violation={
                "zh": "我公司被列入2020年强制性清洁生产审核名单，但未在规定期限内启动审核并报送审核报告。",
                "en": "We were on the 2020 list of enterprises subject to mandatory cleaner production audits but did "
                "not start the audit or file the audit report within the time allowed.",
            },
            reasons={
                "zh": "公司未及时关注名单公布信息，负责部门职责不清，未落实审核咨询机构。",
                "en": "We missed the publication of the list, responsibility for the audit was unclear internally, "
                "and no audit consultant had been engaged.",
            },
            corrective_actions={
                "zh": "已委托具备资质的咨询机构开展清洁生产审核，预计2020年9月完成并报送审核报告；"
                "指定环保部负责跟踪主管部门名单与政策更新。",
                "en": "A qualified consultant now conducts the audit, due to be completed and filed in September 2020; "
                "the environmental department is charged with following the authority's lists and policy updates.",
            },
        ),
        Guidance(
            "environmental_credit_rating",
            label={"zh": "环境信用评价", "en": "Environmental Credit Rating"},
            violation={
                "zh": "我公司在2019年度企业环境信用评价中被评为“环保警示企业”（黄牌）。",
                "en": "Our company was rated an 'environmental warning enterprise' (yellow card) in the 2019 "
                "environmental credit rating.",
            },
            reasons={
                "zh": "评价年度内因废水超标排放受到一次行政处罚，且未按期公开环境信息。",
                "en": "During the rating year we received one administrative penalty for excessive wastewater "
                "discharge and did not disclose our environmental information on time.",
            },
            corrective_actions={
                "zh": "已缴纳罚款并完成污水处理站提标改造；按要求在企业环境信息公开平台公开排污信息；"
                "将向主管部门申请信用修复。",
                "en": "The fine was paid and the wastewater treatment station upgraded; our discharge information is "
                "now published on the enterprise environmental disclosure platform; we will apply to the authority "
                "for credit restoration.",
            },
        ),
        Guidance(
            "production_restriction",
            label={"zh": "停产限产", "en": "Production Suspension/Restriction"},
            violation={
                "zh": "重污染天气橙色预警期间，我公司未按应急减排清单要求停止喷涂工序，被责令限产整改。",
                "en": "During an orange heavy-pollution alert we did not stop the coating process as our emergency "
                "emission-reduction list required, and were ordered to restrict production.",
            },
            reasons={
                "zh": "预警信息传达不到位，夜班生产负责人未收到停产指令。",
                "en": "The alert was not passed on properly: the night-shift production lead never received the "
                "instruction to stop.",
            },
            corrective_actions={
                "zh": "建立重污染天气应急响应联络机制，预警信息由环保专员同时通知各班组负责人并记录确认；"
                "在喷涂线加装用电监控，接入生态环境部门平台。",
                "en": "An alert chain is now in place: the environmental officer notifies every shift lead and records "
                "their confirmation; power-use monitoring was installed on the coating line and connected to the "
                "environmental authority's platform.",
            },
        ),
        Guidance(
            "performance_grading",
            label={"zh": "绩效分级", "en": "Performance Grading by the Gov"},
            violation={
                "zh": "在重点行业环保绩效分级中，我公司被评为C级，重污染天气期间须执行较严格的减排措施。",
                "en": "In the environmental performance grading of key industries we were graded C and must apply "
                "stricter reductions during heavy-pollution episodes.",
            },
            reasons={
                "zh": "部分工序无组织排放控制措施不足，厂内运输车辆未全部达到国五及以上排放标准。",
                "en": "Fugitive emissions of some processes were insufficiently controlled and not all on-site "
                "vehicles met China V or better emission standards.",
            },
            corrective_actions={
                "zh": "已对物料堆场实施全封闭改造并加装喷淋抑尘设施；淘汰国四及以下运输车辆；"
                "计划于2021年申请绩效等级重新评定。",
                "en": "The material yard was fully enclosed and fitted with dust-suppression sprays; China IV and "
                "older vehicles were retired; we plan to apply for regrading in 2021.",
            },
        ),
        Guidance(
            "environmental_accident_risk",
            label={"zh": "环境事故风险", "en": "Environmental Accident Risk"},
            violation={
                "zh": "检查发现我公司突发环境事件应急预案过期未修订，且未按规定备案。",
                "en": "An inspection found that our environmental emergency plan had expired without revision and "
                "had not been filed as required.",
            },
            reasons={
                "zh": "厂区新增储罐后未重新开展环境风险评估，预案管理责任人离职后无人接管。",
                "en": "No new environmental risk assessment was made after storage tanks were added, and nobody took "
                "over the plan when its owner left the company.",
            },
            corrective_actions={
                "zh": "已重新开展环境风险评估并修订应急预案，于2020年5月完成备案（备案编号：XXXX）；"
                "每半年组织一次应急演练并留存记录。",
                "en": "A new risk assessment was made and the plan revised and filed in May 2020 (filing no. XXXX); "
                "emergency drills are held every six months and recorded.",
            },
        ),
        Guidance(
            "accident",
            label={"zh": "事故", "en": "Accidents"},
            violation={
                "zh": "2020年6月，我公司污水处理站调节池发生泄漏，约20吨未经处理的废水流入厂外雨水管网。",
                "en": "In June 2020 the equalisation tank of our wastewater station leaked and about 20 tonnes of "
                "untreated wastewater reached the storm drains outside the plant.",
            },
            reasons={
                "zh": "调节池池壁因长期腐蚀开裂；雨污分流阀门未处于关闭状态，巡检未发现隐患。",
                "en": "The tank wall had cracked from long-term corrosion; the storm-drain isolation valve was open, "
                "and inspections had missed both hazards.",
            },
            corrective_actions={
                "zh": "事故发生后立即封堵排口并抽回废水，委托第三方监测确认周边水体无持续影响；"
                "已完成池体防腐修复，雨水排口加装自动切断阀；事故调查报告已报主管部门。",
                "en": "We sealed the outlet at once and pumped the wastewater back; third-party monitoring confirmed "
                "no lasting effect on nearby waters; the tank was repaired with an anti-corrosion lining and an "
                "automatic shut-off valve fitted at the storm outlet; the accident report went to the authority.",
            },
        ),
        Guidance(
            "safety_supervision",
            label={"zh": "安全监管记录", "en": "Safety Supervision Records"},
            violation={
                "zh": "应急管理局检查发现，我公司危险化学品仓库未按规定配备可燃气体报警装置。",
                "en": "The emergency management bureau found that our hazardous chemicals warehouse had no "
                "combustible gas alarms as required.",
            },
            reasons={
                "zh": "仓库用途变更后未重新进行安全条件评估，相关设备配置未同步更新。",
                "en": "The warehouse changed use without a new safety assessment, so its equipment was not brought "
                "up to date.",
            },
            corrective_actions={
                "zh": "已安装可燃气体报警装置并与中控室联动，完成安全条件评估；对仓库管理人员进行危险化学品安全培训。",
                "en": "Combustible gas alarms linked to the control room were installed and a safety assessment "
                "completed; warehouse staff were trained in hazardous chemicals safety.",
            },
        ),
        Guidance(
            "inspection_report",
            label={"zh": "督查报告", "en": "Inspection Reports"},
            violation={
                "zh": "中央生态环境保护督察通报指出，我公司锅炉烟气脱硝设施运行不稳定，氮氧化物排放存在超标现象。",
                "en": "The central environmental inspection report stated that our boiler's flue-gas denitrification "
                "ran unstably and that nitrogen oxide emissions at times exceeded the limit.",
            },
            reasons={
                "zh": "脱硝系统喷氨控制依赖人工调节，负荷变化时未能及时调整。",
                "en": "Ammonia injection of the denitrification system was adjusted by hand and did not keep up with "
                "changes in boiler load.",
            },
            corrective_actions={
                "zh": "已完成脱硝系统自动控制改造，喷氨量随负荷自动调节；在线监测数据显示整改后氮氧化物稳定达标；"
                "整改情况已在督察整改公示中公开。",
                "en": "The denitrification system now controls ammonia injection automatically by load; online "
                "monitoring shows NOx consistently within limits since; the rectification was published in the "
                "inspection follow-up notice.",
            },
        ),
        Guidance(
            "automated_monitoring",
            label={"zh": "自动监测数据", "en": "Automated Monitoring Data"},
            violation={
                "zh": "2020年7月12日8时至14时，我公司废水总排口在线监测数据显示化学需氧量小时均值超过排放限值。",
                "en": "From 08:00 to 14:00 on 12 July 2020 the online monitor at our main wastewater outlet showed "
                "hourly average COD above the discharge limit.",
            },
            reasons={
                "zh": "生化池曝气风机故障停机约5小时，处理效率下降；备用风机未能自动切换。",
                "en": "The aeration blower of the biological tank failed for about five hours, reducing treatment "
                "efficiency; the standby blower did not switch in automatically.",
            },
            corrective_actions={
                "zh": "故障期间已减产并将超标废水回流至调节池重新处理；修复风机并完成备用风机自动切换改造；"
                "后续监测数据恢复达标，相关说明及运维记录已上传。",
                "en": "Production was reduced during the failure and the off-spec water returned to the equalisation "
                "tank for re-treatment; the blower was repaired and automatic standby switching added; readings have "
                "been compliant since, and the explanation and maintenance records are uploaded.",
            },
            monitoring={
                "pollutant": {"zh": "化学需氧量（COD）", "en": "Chemical oxygen demand (COD)"},
                "measured_value": {"zh": "86.5", "en": "86.5"},
                "limit_value": {"zh": "50", "en": "50"},
                "unit": {"zh": "mg/L", "en": "mg/L"},
                "period": {"zh": "2020-07-12 08:00 至 14:00", "en": "2020-07-12 08:00 to 14:00"},
            },
        ),
    )
}
