"""Small contracts written for the language server's tests."""

SMALL = '''contract "Small" clause 1
  commissioner "A CCG"
  lead provider "A Trust"
  subcontractor mind "Mind"
  term 3 years from 2020/21
end

population
  segment psychosis "Psychosis"
    people 1,000
  end
end

budget
  baseline £1m
end

payments
  core 90% of budget
  outcomes pot 10% of budget
end

outcomes
  total 100 points
  outcome access "Timely access" clause 5.3
    weight 90 points
    indicator crisis_response "Crisis referrals seen within 4 hours" clause 4.3
      weight 50%
      unit percent
      higher is better
      bands
        good     at least 75% pays 50%
        improved at least 85% pays 75%
      end
    end
    indicator coverage "Survey coverage" clause 4.4
      weight 50%
      unit percent
      higher is better
      target at least 50%
      scaled by crisis_response capped at 100%
    end
  end
  bonus all_good "All good"
    weight 10 points
    pays when crisis_response reached improved and access is achieved
  end
  unearned pot retained by the commissioner
end

phasing
  phase start years 1 to 3
    link crisis_response, coverage
    shares crisis_response: good 40%, improved 80%
  end
end

distribution
  mind receives 5% of core
end
'''
